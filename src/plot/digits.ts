/**
 * Digit figures: a digit as its 28 time steps, and digits tiled with captions (a grid with their
 * labels; the prediction gallery in src/teach uses the same tiling). Pure builders; what they share and the rules they follow are in style.ts.
 */
import type { Datum, Layout, Shape } from 'plotly.js';
import { check, FRAME_COLOR, INK, LINE_COLOR, MISTAKE_COLOR, PIXELS, SIZE, type Figure } from './style';

function checkDigit(digit: ArrayLike<number>, where: string): void {
  check(
    digit.length === PIXELS,
    `${where}: a digit must have ${PIXELS} values (28 x 28, row by row), got ${digit.length}`,
  );
}

/** The digit's 784 values as 28 rows of 28: `rows[t]` is what the LSTM reads at time step t. [28][28] */
export function digitRows(digit: ArrayLike<number>): number[][] {
  checkDigit(digit, 'digitRows');
  return Array.from({ length: SIZE }, (_, r) => Array.from({ length: SIZE }, (_, c) => digit[r * SIZE + c] ?? 0));
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
    check(
      Number.isInteger(t) && t >= 0 && t < SIZE,
      `digitStepsFigure: highlightStep must be an integer in 0..27, got ${t}`,
    );
    shapes.push({
      type: 'rect',
      xref: 'x',
      yref: 'y',
      x0: -0.5,
      x1: SIZE - 0.5,
      y0: t - 0.5,
      y1: t + 0.5,
      line: { color: MISTAKE_COLOR, width: 3 },
    });
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
      yaxis: {
        title: { text: 'time step t' },
        autorange: 'reversed',
        scaleanchor: 'x',
        constrain: 'domain',
        dtick: 1,
        tickfont: { size: 9 },
      },
      shapes,
    },
  };
}

function squareAxes(): Pick<Layout, 'xaxis' | 'yaxis'> {
  return {
    xaxis: { visible: false, constrain: 'domain' },
    // Row 0 at the top, as the image is stored and as the LSTM reads it; square pixels.
    yaxis: { visible: false, autorange: 'reversed', scaleanchor: 'x', constrain: 'domain' },
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
export const DIGIT_GRID_DEFAULTS = {
  columns: 8,
  mistakesFirst: false,
  highlightMistakes: true,
  maxDigits: Infinity,
  rowHeight: 90,
} as const;

/** One digit of a tiled figure: its pixels, the caption above it, and whether it is shown as a mistake (red caption and frame). */
export interface DigitTile {
  readonly digit: ArrayLike<number>;
  readonly caption: string;
  readonly mistake: boolean;
}

/** How `tiledDigitsFigure` lays tiles out. */
export interface TileLayout {
  readonly columns: number;
  /** Height of one row of tiles, in screen pixels. */
  readonly rowHeight: number;
  readonly title: string;
  /** Caption font size. */
  readonly captionSize: number;
  /** Room above each digit for its caption, in digit pixels. */
  readonly captionGap: number;
}

// A small gap between columns, in digit pixels.
const TILE_HGAP = 4;

/**
 * Digits tiled into one heatmap (one trace, however many digits), each captioned above, each
 * framed (grey, or red for a mistake): what the digit grid and the prediction gallery draw.
 */
export function tiledDigitsFigure(tiles: readonly DigitTile[], layout: TileLayout): Figure {
  check(
    Number.isInteger(layout.columns) && layout.columns >= 1,
    `tiledDigitsFigure: columns must be a positive integer, got ${layout.columns}`,
  );
  tiles.forEach((t, i) => checkDigit(t.digit, `tiledDigitsFigure: tiles[${i}]`));
  const columns = Math.min(layout.columns, Math.max(tiles.length, 1));
  const gridRows = Math.ceil(tiles.length / columns);
  const width = columns * SIZE + (columns - 1) * TILE_HGAP;
  const height = gridRows * (SIZE + layout.captionGap);
  // null leaves the gaps transparent.
  const z: Datum[][] = Array.from({ length: height }, () => new Array<Datum>(width).fill(null));
  const annotations: Layout['annotations'] = [];
  const shapes: Partial<Shape>[] = [];
  tiles.forEach(({ digit, caption, mistake }, k) => {
    const x0 = (k % columns) * (SIZE + TILE_HGAP);
    const y0 = Math.floor(k / columns) * (SIZE + layout.captionGap) + layout.captionGap;
    for (let r = 0; r < SIZE; r++) {
      const row = z[y0 + r] as Datum[];
      for (let c = 0; c < SIZE; c++) row[x0 + c] = digit[r * SIZE + c] ?? 0;
    }
    annotations.push({
      x: x0 + (SIZE - 1) / 2,
      y: y0 - 1,
      xref: 'x',
      yref: 'y',
      yanchor: 'bottom',
      showarrow: false,
      text: caption,
      font: { size: layout.captionSize, color: mistake ? MISTAKE_COLOR : LINE_COLOR },
    });
    const frame = mistake ? { color: MISTAKE_COLOR, width: 2 } : { color: FRAME_COLOR, width: 1 };
    shapes.push({
      type: 'rect',
      xref: 'x',
      yref: 'y',
      x0: x0 - 1,
      x1: x0 + SIZE,
      y0: y0 - 1,
      y1: y0 + SIZE,
      line: frame,
    });
  });
  return {
    data: [{ type: 'heatmap', z, zmin: 0, zmax: 1, colorscale: INK, showscale: false, hoverinfo: 'skip' }],
    layout: {
      title: { text: layout.title },
      height: gridRows * layout.rowHeight + 70,
      margin: { l: 10, r: 10, t: 50, b: 10 },
      ...squareAxes(),
      annotations,
      shapes,
    },
  };
}

/**
 * Digits tiled into one heatmap, each labelled with its true label, or `true→predicted` for a
 * mistake. The tiles' order is the input order, or mistakes first.
 */
export function digitGridFigure(input: DigitGridInput, options: DigitGridOptions = {}): Figure {
  const o = { ...DIGIT_GRID_DEFAULTS, ...options };
  const { digits, trueLabels, predLabels } = input;
  const n = digits.length;
  check(trueLabels.length === n, `digitGridFigure: ${n} digits but ${trueLabels.length} trueLabels`);
  check(
    predLabels === undefined || predLabels.length === n,
    `digitGridFigure: ${n} digits but ${predLabels?.length} predLabels`,
  );
  check(
    Number.isInteger(o.columns) && o.columns >= 1,
    `digitGridFigure: columns must be a positive integer, got ${o.columns}`,
  );
  digits.forEach((d, i) => checkDigit(d, `digitGridFigure: digits[${i}]`));

  const isMistake = (i: number): boolean => predLabels !== undefined && predLabels[i] !== trueLabels[i];
  let order = Array.from({ length: n }, (_, i) => i);
  if (o.mistakesFirst) order = [...order.filter(isMistake), ...order.filter((i) => !isMistake(i))];
  order = order.slice(0, Math.min(n, o.maxDigits));

  const tiles = order.map((index): DigitTile => {
    const wrong = isMistake(index);
    return {
      digit: digits[index] as ArrayLike<number>,
      caption: wrong ? `${trueLabels[index]}→${predLabels?.[index]}` : `${trueLabels[index]}`,
      mistake: wrong && o.highlightMistakes,
    };
  });
  const mistakes = order.filter(isMistake).length;
  const defaultTitle =
    predLabels === undefined
      ? `${order.length} digits with their labels`
      : `${order.length} digits: label, or true→predicted for the ${mistakes} mistakes`;
  return tiledDigitsFigure(tiles, {
    columns: o.columns,
    rowHeight: o.rowHeight,
    title: o.title ?? defaultTitle,
    captionSize: 13,
    captionGap: 12,
  });
}
