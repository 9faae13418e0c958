/**
 * Figure builders: pure functions from numbers to plotly `{ data, layout }`. They draw nothing
 * and print nothing; `show` in `render.ts` puts a figure into a notebook. Each builder checks
 * its input's shape and throws an `Error` naming the builder and the value when it is wrong.
 */
import type { ColorScale, Data, Datum, Layout, Shape } from 'plotly.js';
import { check, FRAME_COLOR, INK, MISTAKE_COLOR, PIXELS, SIZE } from './style';

/** A plotly figure: traces and layout, as `Plotly.react(div, data, layout)` takes them. */
export interface Figure {
  data: Data[];
  layout: Partial<Layout>;
}

/** One point of the training curve: the seed's display line (`Iter`, `Minibatch Loss`, `Training Accuracy`). */
export interface TrainCurvePoint {
  readonly examplesSeen: number;
  readonly loss: number;
  readonly accuracy: number;
}

/** One point of the validation curve; `loss` is optional because some evaluations only count hits. */
export interface ValidationCurvePoint {
  readonly examplesSeen: number;
  readonly accuracy: number;
  readonly loss?: number;
}


const TRAIN_COLOR = '#1f77b4';
const VALIDATION_COLOR = '#ff7f0e';
const TRUTH_COLOR = '#222222';
// White to dark blue; plotly's named 'Blues' runs the other way (dark for small counts).
const COUNTS: ColorScale = [
  [0, '#f7fbff'],
  [0.5, '#6baed6'],
  [1, '#08306b'],
];

function checkDigit(digit: ArrayLike<number>, where: string): void {
  check(digit.length === PIXELS, `${where}: a digit must have ${PIXELS} values (28 x 28, row by row), got ${digit.length}`);
}

/** The digit's 784 values as 28 rows of 28: `rows[t]` is what the LSTM reads at time step t. [28][28] */
export function digitRows(digit: ArrayLike<number>): number[][] {
  checkDigit(digit, 'digitRows');
  return Array.from({ length: SIZE }, (_, r) => Array.from({ length: SIZE }, (_, c) => digit[r * SIZE + c] ?? 0));
}

/**
 * At most `maxPoints` of `points`, evenly spaced by index, always keeping the first and the last
 * (the start and the current end of a curve); shorter inputs come back unchanged (copied).
 */
export function downsample<T>(points: readonly T[], maxPoints: number): T[] {
  check(Number.isInteger(maxPoints) && maxPoints >= 2, `downsample: maxPoints must be an integer >= 2, got ${maxPoints}`);
  const n = points.length;
  if (n <= maxPoints) return points.slice();
  // Steps of (n-1)/(maxPoints-1) > 1, so rounding never picks the same index twice.
  const out: T[] = [];
  for (let i = 0; i < maxPoints; i++) out.push(points[Math.round((i * (n - 1)) / (maxPoints - 1))] as T);
  return out;
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

/** Options for `trainingCurvesFigure`. */
export interface TrainingCurvesOptions {
  readonly title?: string;
  /** Each curve is downsampled to at most this many points (long runs stay small). */
  readonly maxPoints?: number;
  readonly height?: number;
}

/** Defaults of `trainingCurvesFigure`. */
export const TRAINING_CURVES_DEFAULTS = { title: 'Loss and accuracy while training', maxPoints: 500, height: 520 } as const;

/**
 * Loss (top) and accuracy (bottom) against examples seen, for the training batches (the seed's
 * `Minibatch Loss` / `Training Accuracy`) and, when given, the validation evaluations.
 */
export function trainingCurvesFigure(
  train: readonly TrainCurvePoint[],
  validation: readonly ValidationCurvePoint[] = [],
  options: TrainingCurvesOptions = {},
): Figure {
  const o = { ...TRAINING_CURVES_DEFAULTS, ...options };
  const t = downsample(train, o.maxPoints);
  const v = downsample(validation, o.maxPoints);
  const vLoss = v.filter((p): p is ValidationCurvePoint & { loss: number } => p.loss !== undefined);
  const data: Data[] = [
    { type: 'scatter', mode: 'lines', name: 'train batch', legendgroup: 'train', line: { color: TRAIN_COLOR, width: 1.5 }, x: t.map((p) => p.examplesSeen), y: t.map((p) => p.loss), xaxis: 'x', yaxis: 'y' },
  ];
  if (vLoss.length > 0) {
    data.push({ type: 'scatter', mode: 'lines+markers', name: 'validation', legendgroup: 'validation', line: { color: VALIDATION_COLOR, width: 2 }, x: vLoss.map((p) => p.examplesSeen), y: vLoss.map((p) => p.loss), xaxis: 'x', yaxis: 'y' });
  }
  data.push({ type: 'scatter', mode: 'lines', name: 'train batch', legendgroup: 'train', showlegend: false, line: { color: TRAIN_COLOR, width: 1.5 }, x: t.map((p) => p.examplesSeen), y: t.map((p) => p.accuracy), xaxis: 'x', yaxis: 'y2' });
  if (v.length > 0) {
    data.push({ type: 'scatter', mode: 'lines+markers', name: 'validation', legendgroup: 'validation', showlegend: vLoss.length === 0, line: { color: VALIDATION_COLOR, width: 2 }, x: v.map((p) => p.examplesSeen), y: v.map((p) => p.accuracy), xaxis: 'x', yaxis: 'y2' });
  }
  return {
    data,
    layout: {
      title: { text: o.title },
      height: o.height,
      margin: { l: 70, r: 20, t: 60, b: 60 },
      legend: { orientation: 'h', x: 0, y: 1.06 },
      hovermode: 'x',
      // One x axis for both panels, drawn under the bottom one.
      xaxis: { title: { text: 'examples seen' }, anchor: 'y2', rangemode: 'tozero' },
      yaxis: { title: { text: 'loss' }, domain: [0.55, 1], rangemode: 'tozero' },
      yaxis2: { title: { text: 'accuracy' }, domain: [0, 0.45], range: [0, 1.02] },
    },
  };
}

/** Counts of (true, predicted) pairs: `m[t][p]` is how many digits of class t were predicted as p. [numClasses][numClasses] */
export function confusionMatrix(trueLabels: ArrayLike<number>, predLabels: ArrayLike<number>, numClasses: number): number[][] {
  check(Number.isInteger(numClasses) && numClasses >= 1, `confusionMatrix: numClasses must be a positive integer, got ${numClasses}`);
  check(trueLabels.length === predLabels.length, `confusionMatrix: ${trueLabels.length} trueLabels but ${predLabels.length} predLabels`);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < trueLabels.length; i++) {
    const t = trueLabels[i] as number;
    const p = predLabels[i] as number;
    for (const [name, label] of [['trueLabels', t], ['predLabels', p]] as const) {
      check(Number.isInteger(label) && label >= 0 && label < numClasses, `confusionMatrix: ${name}[${i}] must be an integer in 0..${numClasses - 1}, got ${label}`);
    }
    (m[t] as number[])[p] = ((m[t] as number[])[p] ?? 0) + 1;
  }
  return m;
}

/** Options for `confusionMatrixFigure`. */
export interface ConfusionMatrixOptions {
  readonly title?: string;
  readonly numClasses?: number;
  /** Show each row as fractions of that class (recall per class) instead of counts. */
  readonly normalize?: boolean;
}

/** Defaults of `confusionMatrixFigure` (MNIST: 10 classes, counts). */
export const CONFUSION_MATRIX_DEFAULTS = { numClasses: 10, normalize: false } as const;

/** The confusion matrix as a heatmap: true class down the rows (0 at the top), predicted class across. */
export function confusionMatrixFigure(trueLabels: ArrayLike<number>, predLabels: ArrayLike<number>, options: ConfusionMatrixOptions = {}): Figure {
  const o = { ...CONFUSION_MATRIX_DEFAULTS, ...options };
  const counts = confusionMatrix(trueLabels, predLabels, o.numClasses);
  const n = trueLabels.length;
  const correct = counts.reduce((sum, row, k) => sum + (row[k] ?? 0), 0);
  const z = o.normalize
    ? counts.map((row) => {
        const total = row.reduce((a, b) => a + b, 0);
        return row.map((c) => (total === 0 ? 0 : c / total));
      })
    : counts;
  const classes = Array.from({ length: o.numClasses }, (_, k) => k);
  const accuracy = n === 0 ? 0 : (100 * correct) / n;
  return {
    data: [
      {
        type: 'heatmap',
        z,
        x: classes,
        y: classes,
        colorscale: COUNTS,
        texttemplate: o.normalize ? '%{z:.2f}' : '%{z}',
        hovertemplate: `true %{y}, predicted %{x}: %{z${o.normalize ? ':.3f' : ''}}<extra></extra>`,
      },
    ],
    layout: {
      title: { text: o.title ?? `Confusion matrix: ${correct} of ${n} right (${accuracy.toFixed(1)}%)` },
      width: 560,
      height: 540,
      margin: { l: 70, r: 20, t: 60, b: 60 },
      xaxis: { title: { text: 'predicted class' }, dtick: 1, constrain: 'domain' },
      yaxis: { title: { text: 'true class' }, dtick: 1, autorange: 'reversed', scaleanchor: 'x', constrain: 'domain' },
    },
  };
}

function checkMatrix(values: ReadonlyArray<ArrayLike<number>>, where: string, what: string): number {
  check(values.length > 0, `${where}: expected at least one time step of ${what}, got none`);
  const width = (values[0] as ArrayLike<number>).length;
  values.forEach((row, t) => check(row.length === width, `${where}: every step needs ${width} ${what} (as step 0), step ${t} has ${row.length}`));
  return width;
}

/** Options for `sequenceHeatmapFigure`. */
export interface SequenceHeatmapOptions {
  readonly title?: string;
  /** What one row of the input holds, for the y axis (e.g. "hidden unit", "forget gate unit"). */
  readonly unitName?: string;
  /** Colour range; default symmetric around 0 (tanh outputs). Use [0, 1] for gates. */
  readonly range?: readonly [number, number];
  readonly colorscale?: ColorScale;
  readonly height?: number;
}

/** Defaults of `sequenceHeatmapFigure`. */
export const SEQUENCE_HEATMAP_DEFAULTS = { title: 'State over time', unitName: 'unit', colorscale: 'RdBu', height: 420 } as const;

/** A sequence of vectors (hidden state, cell state, gate values) [steps][units] as a heatmap: time across, units down. */
export function sequenceHeatmapFigure(values: ReadonlyArray<ArrayLike<number>>, options: SequenceHeatmapOptions = {}): Figure {
  const units = checkMatrix(values, 'sequenceHeatmapFigure', 'units');
  const o = { ...SEQUENCE_HEATMAP_DEFAULTS, ...options };
  // plotly draws z[row][column]: transpose so that time runs along x.
  const z = Array.from({ length: units }, (_, u) => values.map((row) => row[u] ?? 0));
  let range = o.range;
  if (range === undefined) {
    let m = 0;
    for (const row of values) for (let u = 0; u < units; u++) m = Math.max(m, Math.abs(row[u] ?? 0));
    // An all-zero state (e.g. h_0) would give an empty range.
    range = [-(m || 1), m || 1];
  }
  return {
    data: [
      {
        type: 'heatmap',
        z,
        x: values.map((_, t) => t),
        zmin: range[0],
        zmax: range[1],
        // plotly's 'RdBu' puts the low end blue and the high end red: positive activations red.
        colorscale: o.colorscale,
        hovertemplate: `time step %{x}, ${o.unitName} %{y}: %{z:.3f}<extra></extra>`,
      },
    ],
    layout: {
      title: { text: o.title },
      height: o.height,
      margin: { l: 70, r: 20, t: 60, b: 60 },
      xaxis: { title: { text: 'time step t' } },
      yaxis: { title: { text: o.unitName } },
    },
  };
}

/** Options for `stepProbabilitiesFigure`. */
export interface StepProbabilitiesOptions {
  readonly title?: string;
  /** The digit's true class, drawn thick. */
  readonly trueLabel?: number;
  readonly height?: number;
}

/** Defaults of `stepProbabilitiesFigure`. */
export const STEP_PROBABILITIES_DEFAULTS = { height: 420 } as const;

/**
 * Predicted class probabilities after each time step [steps][classes] (e.g. softmax of the
 * output layer applied to h_t): how the answer forms while the rows are read. One line per class.
 */
export function stepProbabilitiesFigure(probabilities: ReadonlyArray<ArrayLike<number>>, options: StepProbabilitiesOptions = {}): Figure {
  const classes = checkMatrix(probabilities, 'stepProbabilitiesFigure', 'class probabilities');
  const o = { ...STEP_PROBABILITIES_DEFAULTS, ...options };
  const last = probabilities[probabilities.length - 1] as ArrayLike<number>;
  let predicted = 0;
  for (let k = 1; k < classes; k++) if ((last[k] ?? 0) > (last[predicted] ?? 0)) predicted = k;
  const steps = probabilities.map((_, t) => t);
  const data: Data[] = Array.from({ length: classes }, (_, k) => {
    const isTrue = k === o.trueLabel;
    // The truth thick and dark; a wrong final answer red; the other classes faint, in plotly's colours.
    const wrongAnswer = k === predicted && o.trueLabel !== undefined && !isTrue;
    const line = isTrue ? { width: 4, color: TRUTH_COLOR } : wrongAnswer ? { width: 3, color: MISTAKE_COLOR } : { width: k === predicted ? 3 : 1.2 };
    return {
      type: 'scatter',
      mode: 'lines',
      name: isTrue ? `${k} (true)` : k === predicted ? `${k} (predicted)` : `${k}`,
      x: steps,
      y: probabilities.map((row) => row[k] ?? 0),
      line,
      opacity: line.width > 1.2 ? 1 : 0.55,
      hovertemplate: `class ${k} after step %{x}: %{y:.3f}<extra></extra>`,
    };
  });
  const truth = o.trueLabel === undefined ? '' : `true ${o.trueLabel}, `;
  return {
    data,
    layout: {
      title: { text: o.title ?? `Class probabilities after each time step (${truth}final prediction ${predicted})` },
      height: o.height,
      margin: { l: 70, r: 20, t: 60, b: 60 },
      xaxis: { title: { text: 'time step t (rows 0..t read)' }, dtick: 2 },
      yaxis: { title: { text: 'probability' }, range: [0, 1.02] },
    },
  };
}
