/**
 * Training curves: loss and accuracy against examples seen, and `downsample` that keeps long
 * histories small. Pure builders; what they share and the rules they follow are in style.ts.
 */
import type { Data } from 'plotly.js';
import { check, PALETTE, type Figure } from './style';

/** One point of the training curve: the tutorial's display line (`Iter`, `Minibatch Loss`, `Training Accuracy`). */
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

const [TRAIN_COLOR, VALIDATION_COLOR] = PALETTE as [string, string];

/**
 * At most `maxPoints` of `points`, evenly spaced by index, always keeping the first and the last
 * (the start and the current end of a curve); shorter inputs come back unchanged (copied).
 */
export function downsample<T>(points: readonly T[], maxPoints: number): T[] {
  check(
    Number.isInteger(maxPoints) && maxPoints >= 2,
    `downsample: maxPoints must be an integer >= 2, got ${maxPoints}`,
  );
  const n = points.length;
  if (n <= maxPoints) return points.slice();
  // Steps of (n-1)/(maxPoints-1) > 1, so rounding never picks the same index twice.
  const out: T[] = [];
  for (let i = 0; i < maxPoints; i++) out.push(points[Math.round((i * (n - 1)) / (maxPoints - 1))] as T);
  return out;
}

/** Options for `trainingCurvesFigure`. */
export interface TrainingCurvesOptions {
  readonly title?: string;
  /** Each curve is downsampled to at most this many points (long runs stay small). */
  readonly maxPoints?: number;
  readonly height?: number;
}

/** Defaults of `trainingCurvesFigure`. */
export const TRAINING_CURVES_DEFAULTS = {
  title: 'Loss and accuracy while training',
  maxPoints: 500,
  height: 520,
} as const;

/**
 * Loss (top) and accuracy (bottom) against examples seen, for the training batches (the tutorial's
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
    {
      type: 'scatter',
      mode: 'lines',
      name: 'train batch',
      legendgroup: 'train',
      line: { color: TRAIN_COLOR, width: 1.5 },
      x: t.map((p) => p.examplesSeen),
      y: t.map((p) => p.loss),
      xaxis: 'x',
      yaxis: 'y',
    },
  ];
  if (vLoss.length > 0) {
    data.push({
      type: 'scatter',
      mode: 'lines+markers',
      name: 'validation',
      legendgroup: 'validation',
      line: { color: VALIDATION_COLOR, width: 2 },
      x: vLoss.map((p) => p.examplesSeen),
      y: vLoss.map((p) => p.loss),
      xaxis: 'x',
      yaxis: 'y',
    });
  }
  data.push({
    type: 'scatter',
    mode: 'lines',
    name: 'train batch',
    legendgroup: 'train',
    showlegend: false,
    line: { color: TRAIN_COLOR, width: 1.5 },
    x: t.map((p) => p.examplesSeen),
    y: t.map((p) => p.accuracy),
    xaxis: 'x',
    yaxis: 'y2',
  });
  if (v.length > 0) {
    data.push({
      type: 'scatter',
      mode: 'lines+markers',
      name: 'validation',
      legendgroup: 'validation',
      showlegend: vLoss.length === 0,
      line: { color: VALIDATION_COLOR, width: 2 },
      x: v.map((p) => p.examplesSeen),
      y: v.map((p) => p.accuracy),
      xaxis: 'x',
      yaxis: 'y2',
    });
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
