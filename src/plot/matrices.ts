/**
 * Matrix figures: the confusion matrix as a heatmap (its counts are metrics.ts's), a sequence of state vectors as a
 * heatmap, and class probabilities after each time step. Pure builders, as described in style.ts.
 */
import type { ColorScale, Data } from 'plotly.js';
import { confusionMatrix } from '../metrics';
import { check, MISTAKE_COLOR, symmetricRange, type Figure } from './style';

const TRUTH_COLOR = '#222222';
// White to dark blue; plotly's named 'Blues' runs the other way (dark for small counts).
const COUNTS: ColorScale = [
  [0, '#f7fbff'],
  [0.5, '#6baed6'],
  [1, '#08306b'],
];

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
export function confusionMatrixFigure(
  trueLabels: ArrayLike<number>,
  predLabels: ArrayLike<number>,
  options: ConfusionMatrixOptions = {},
): Figure {
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
  values.forEach((row, t) =>
    check(row.length === width, `${where}: every step needs ${width} ${what} (as step 0), step ${t} has ${row.length}`),
  );
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
export const SEQUENCE_HEATMAP_DEFAULTS = {
  title: 'State over time',
  unitName: 'unit',
  colorscale: 'RdBu',
  height: 420,
} as const;

/** A sequence of vectors (hidden state, cell state, gate values) [steps][units] as a heatmap: time across, units down. */
export function sequenceHeatmapFigure(
  values: ReadonlyArray<ArrayLike<number>>,
  options: SequenceHeatmapOptions = {},
): Figure {
  const units = checkMatrix(values, 'sequenceHeatmapFigure', 'units');
  const o = { ...SEQUENCE_HEATMAP_DEFAULTS, ...options };
  // plotly draws z[row][column]: transpose so that time runs along x.
  const z = Array.from({ length: units }, (_, u) => values.map((row) => row[u] ?? 0));
  const range = o.range ?? symmetricRange(values);
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
export function stepProbabilitiesFigure(
  probabilities: ReadonlyArray<ArrayLike<number>>,
  options: StepProbabilitiesOptions = {},
): Figure {
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
    const line = isTrue
      ? { width: 4, color: TRUTH_COLOR }
      : wrongAnswer
        ? { width: 3, color: MISTAKE_COLOR }
        : { width: k === predicted ? 3 : 1.2 };
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
