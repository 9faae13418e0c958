/**
 * Digit figures: one digit as an image or as its 28 time steps, and a gallery of digits with
 * their labels. Pure builders; what they share and the rules they follow are in style.ts.
 */
import type { Datum, Layout, Shape } from 'plotly.js';
import { check, FRAME_COLOR, INK, MISTAKE_COLOR, PIXELS, SIZE, type Figure } from './style';

function checkDigit(digit: ArrayLike<number>, where: string): void {
  check(digit.length === PIXELS, `${where}: a digit must have ${PIXELS} values (28 x 28, row by row), got ${digit.length}`);
}

/** The digit's 784 values as 28 rows of 28: `rows[t]` is what the LSTM reads at time step t. [28][28] */
export function digitRows(digit: ArrayLike<number>): number[][] {
  checkDigit(digit, 'digitRows');
  return Array.from({ length: SIZE }, (_, r) => Array.from({ length: SIZE }, (_, c) => digit[r * SIZE + c] ?? 0));
}

/** Options for `digitFigure`. */
export interface DigitFigureOptions {
  /** Chart title; `label` is appended when given. */
  readonly title?: string;
  /** The digit's label, shown in the title. */
  readonly label?: number;
  /** Side of the square drawing in pixels. */
  readonly size?: number;
}

/** Defaults of `digitFigure`. */
export const DIGIT_FIGURE_DEFAULTS = { title: 'A digit, 28 x 28 pixels', size: 280 } as const;

function squareAxes(): Pick<Layout, 'xaxis' | 'yaxis'> {
  return {
    xaxis: { visible: false, constrain: 'domain' },
    // Row 0 at the top, as the image is stored and as the LSTM reads it; square pixels.
    yaxis: { visible: false, autorange: 'reversed', scaleanchor: 'x', constrain: 'domain' },
  };
}

/** One digit (784 values in [0, 1]) as a 28 x 28 heatmap, row 0 at the top. */
export function digitFigure(digit: ArrayLike<number>, options: DigitFigureOptions = {}): Figure {
  checkDigit(digit, 'digitFigure');
  const o = { ...DIGIT_FIGURE_DEFAULTS, ...options };
  const title = o.label === undefined ? o.title : `${o.title} (label ${o.label})`;
  return {
    data: [
      {
        type: 'heatmap',
        z: digitRows(digit),
        zmin: 0,
        zmax: 1,
        colorscale: INK,
        showscale: false,
        hovertemplate: 'row %{y}, column %{x}: %{z:.2f}<extra></extra>',
      },
    ],
    layout: {
      title: { text: title },
      width: o.size + 40,
      height: o.size + 80,
      margin: { l: 20, r: 20, t: 60, b: 20 },
      ...squareAxes(),
      // The background is white like the page: a frame shows where the 28 x 28 image ends.
      shapes: [{ type: 'rect', xref: 'x', yref: 'y', x0: -0.5, x1: SIZE - 0.5, y0: -0.5, y1: SIZE - 0.5, line: { color: FRAME_COLOR, width: 1 } }],
    },
  };
}

/** Options for `digitStepsFigure`. */
export interface DigitStepsFigureOptions {
  readonly title?: string;
  /** The digit's label, shown in the title. */
  readonly label?: number;
  /** A time step to outline in red (the row the LSTM reads at that step). */
  readonly highlightStep?: number;
}

/** Defaults of `digitStepsFigure`. */
export const DIGIT_STEPS_FIGURE_DEFAULTS = { title: 'Row t is the input at time step t' } as const;

/** One digit as its 28 time steps: row t (28 pixel values) is the input x_t; the step index is on the y axis. */
export function digitStepsFigure(digit: ArrayLike<number>, options: DigitStepsFigureOptions = {}): Figure {
  checkDigit(digit, 'digitStepsFigure');
  const o = { ...DIGIT_STEPS_FIGURE_DEFAULTS, ...options };
  const steps = Array.from({ length: SIZE }, (_, t) => t);
  const shapes: Partial<Shape>[] = [];
  if (o.highlightStep !== undefined) {
    const t = o.highlightStep;
    check(Number.isInteger(t) && t >= 0 && t < SIZE, `digitStepsFigure: highlightStep must be an integer in 0..27, got ${t}`);
    shapes.push({ type: 'rect', xref: 'x', yref: 'y', x0: -0.5, x1: SIZE - 0.5, y0: t - 0.5, y1: t + 0.5, line: { color: MISTAKE_COLOR, width: 3 } });
  }
  return {
    data: [
      {
        type: 'heatmap',
        z: digitRows(digit),
        x: steps,
        y: steps,
        zmin: 0,
        zmax: 1,
        colorscale: INK,
        showscale: false,
        // A thin gap between rows shows that each row is fed as one separate input vector.
        ygap: 2,
        hovertemplate: 'time step %{y}, input %{x}: %{z:.2f}<extra></extra>',
      },
    ],
    layout: {
      title: { text: o.label === undefined ? o.title : `${o.title} (label ${o.label})` },
      width: 460,
      height: 560,
      margin: { l: 70, r: 20, t: 60, b: 60 },
      xaxis: { title: { text: 'input feature (pixel in the row)' }, constrain: 'domain', dtick: 4 },
      yaxis: { title: { text: 'time step t' }, autorange: 'reversed', scaleanchor: 'x', constrain: 'domain', dtick: 1, tickfont: { size: 9 } },
      shapes,
    },
  };
}

/** What `digitGridFigure` draws: digits with their true labels and, optionally, predictions. */
export interface DigitGridInput {
  /** Digits of 784 values each. [n][784] */
  readonly digits: ReadonlyArray<ArrayLike<number>>;
  /** True labels. [n] */
  readonly trueLabels: ArrayLike<number>;
  /** Predicted labels, when known. [n] */
  readonly predLabels?: ArrayLike<number>;
}

/** Options for `digitGridFigure`. */
export interface DigitGridOptions {
  readonly title?: string;
  /** Digits per row of the grid. */
  readonly columns?: number;
  /** Put the misclassified digits first (the gallery teaches most through its mistakes). */
  readonly mistakesFirst?: boolean;
  /** Frame the misclassified digits and print their labels in red. */
  readonly highlightMistakes?: boolean;
  /** Draw at most this many digits (after ordering). */
  readonly maxDigits?: number;
  /** Height of one grid row in pixels. */
  readonly rowHeight?: number;
}

/** Defaults of `digitGridFigure` (all digits, input order, mistakes framed). */
export const DIGIT_GRID_DEFAULTS = { columns: 8, mistakesFirst: false, highlightMistakes: true, maxDigits: Infinity, rowHeight: 90 } as const;

// Grid spacing in digit pixels: a small gap between columns, room for the label above each digit.
const GRID_HGAP = 4;
const GRID_VGAP = 12;

/**
 * Digits tiled into one heatmap (one trace, however many digits), each labelled with its true
 * label, or `true→predicted` for a mistake. The tiles' order is the input order, or mistakes first.
 */
export function digitGridFigure(input: DigitGridInput, options: DigitGridOptions = {}): Figure {
  const o = { ...DIGIT_GRID_DEFAULTS, ...options };
  const { digits, trueLabels, predLabels } = input;
  const n = digits.length;
  check(trueLabels.length === n, `digitGridFigure: ${n} digits but ${trueLabels.length} trueLabels`);
  check(predLabels === undefined || predLabels.length === n, `digitGridFigure: ${n} digits but ${predLabels?.length} predLabels`);
  check(Number.isInteger(o.columns) && o.columns >= 1, `digitGridFigure: columns must be a positive integer, got ${o.columns}`);
  digits.forEach((d, i) => checkDigit(d, `digitGridFigure: digits[${i}]`));

  const isMistake = (i: number): boolean => predLabels !== undefined && predLabels[i] !== trueLabels[i];
  let order = Array.from({ length: n }, (_, i) => i);
  if (o.mistakesFirst) order = [...order.filter(isMistake), ...order.filter((i) => !isMistake(i))];
  order = order.slice(0, Math.min(n, o.maxDigits));

  const columns = Math.min(o.columns, Math.max(order.length, 1));
  const gridRows = Math.ceil(order.length / columns);
  const width = columns * SIZE + (columns - 1) * GRID_HGAP;
  const height = gridRows * (SIZE + GRID_VGAP);
  // null leaves the gaps transparent.
  const z: Datum[][] = Array.from({ length: height }, () => new Array<Datum>(width).fill(null));
  const annotations: Layout['annotations'] = [];
  const shapes: Partial<Shape>[] = [];
  order.forEach((index, k) => {
    const digit = digits[index] as ArrayLike<number>;
    const x0 = (k % columns) * (SIZE + GRID_HGAP);
    const y0 = Math.floor(k / columns) * (SIZE + GRID_VGAP) + GRID_VGAP;
    for (let r = 0; r < SIZE; r++) {
      const row = z[y0 + r] as Datum[];
      for (let c = 0; c < SIZE; c++) row[x0 + c] = digit[r * SIZE + c] ?? 0;
    }
    const wrong = isMistake(index);
    const highlight = wrong && o.highlightMistakes;
    annotations.push({
      x: x0 + (SIZE - 1) / 2,
      y: y0 - 1,
      xref: 'x',
      yref: 'y',
      yanchor: 'bottom',
      showarrow: false,
      text: wrong ? `${trueLabels[index]}→${predLabels?.[index]}` : `${trueLabels[index]}`,
      font: { size: 13, color: highlight ? MISTAKE_COLOR : '#333333' },
    });
    const frame = highlight ? { color: MISTAKE_COLOR, width: 2 } : { color: FRAME_COLOR, width: 1 };
    shapes.push({ type: 'rect', xref: 'x', yref: 'y', x0: x0 - 1, x1: x0 + SIZE, y0: y0 - 1, y1: y0 + SIZE, line: frame });
  });
  const mistakes = order.filter(isMistake).length;
  const defaultTitle =
    predLabels === undefined ? `${order.length} digits with their labels` : `${order.length} digits: label, or true→predicted for the ${mistakes} mistakes`;
  return {
    data: [{ type: 'heatmap', z, zmin: 0, zmax: 1, colorscale: INK, showscale: false, hoverinfo: 'skip' }],
    layout: {
      title: { text: o.title ?? defaultTitle },
      height: gridRows * o.rowHeight + 70,
      margin: { l: 10, r: 10, t: 50, b: 10 },
      ...squareAxes(),
      annotations,
      shapes,
    },
  };
}
