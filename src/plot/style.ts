/**
 * What every figure builder shares: the `Figure` type, the digit geometry, the colours, and the
 * input check. Figure builders are pure functions from numbers to plotly `{ data, layout }`. They
 * draw nothing and print nothing; `show` in `render.ts` puts a figure into a notebook. Each builder
 * checks its input's shape and throws an `Error` naming the builder and the value when it is wrong.
 */
import type { ColorScale, Data, Layout } from 'plotly.js';
import { IMAGE_SIZE } from '../data/dataset';

/** A plotly figure: traces and layout, as `Plotly.react(div, data, layout)` takes them. */
export interface Figure {
  data: Data[];
  layout: Partial<Layout>;
}

/** MNIST geometry: the tutorial's n_steps = n_input = 28. */
export const SIZE = IMAGE_SIZE;
/** Pixels in one digit. */
export const PIXELS = SIZE * SIZE;

/** Ink on paper: 0 (background) white, 1 (stroke) near black, as the digits look on the page. */
export const INK: ColorScale = [
  [0, '#ffffff'],
  [1, '#111111'],
];
/** Wrong answers, in every chart. */
export const MISTAKE_COLOR = '#d62728';
/** The frame that shows where a 28 x 28 image ends on a white page. */
export const FRAME_COLOR = '#cccccc';
/** Lines, arrows and text of the teaching diagrams and charts (src/teach). */
export const LINE_COLOR = '#333333';
/**
 * plotly's default colour cycle (D3 category10), fixed here so that a digit class, a run or a
 * curve keeps its colour from chart to chart: ten distinguishable colours.
 */
export const PALETTE: readonly string[] = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/** A colour range symmetric around 0 that holds every value ([-1, 1] for all zeros, e.g. h_0, which would give an empty one). */
export function symmetricRange(rows: ReadonlyArray<ArrayLike<number>>): [number, number] {
  let m = 0;
  for (const row of rows) for (let u = 0; u < row.length; u++) m = Math.max(m, Math.abs(row[u] ?? 0));
  return [-(m || 1), m || 1];
}

/** Throws `message` when `condition` is false (a figure's input has the wrong shape). */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
