/**
 * Step 7 of the tutorial's concepts: the trained model applied to unseen digits, kept as numbers so a
 * notebook can sort, count and draw them (notebook 10).
 */
import * as tf from '@tensorflow/tfjs';
import type { DataSet } from '../data';
import type { Classifier } from '../models';

/** The model's answers for every example of a split, in stored order. */
export interface Predictions {
  /** Softmax probabilities. [n][numClasses] */
  readonly probabilities: number[][];
  /** The most probable class. [n] */
  readonly predicted: number[];
  /** Its probability, the model's confidence. [n] */
  readonly confidence: number[];
  /** The true labels. [n] */
  readonly trueLabels: number[];
}

/** Runs `model` over a whole split in batches of `batchSize` (memory, not results). */
export function predictAll(model: Classifier, data: DataSet, batchSize = 500): Predictions {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`predictAll: batchSize must be a positive integer, got ${batchSize}`);
  const probabilities: number[][] = [];
  for (let from = 0; from < data.numExamples; from += batchSize) {
    const { xs, ys } = data.slice(from, Math.min(data.numExamples, from + batchSize));
    probabilities.push(...(tf.tidy(() => tf.softmax(model.predict(xs, false)).arraySync()) as number[][]));
    tf.dispose([xs, ys]);
  }
  const predicted = probabilities.map(argMax);
  return {
    probabilities,
    predicted,
    confidence: probabilities.map((p, n) => p[predicted[n] as number] as number),
    trueLabels: Array.from(data.labels),
  };
}

/** Index of the largest value (the first one on ties). */
export function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < values.length; k++) if ((values[k] as number) > (values[best] as number)) best = k;
  return best;
}

/**
 * Example indices with the mistakes first, the most confident mistakes leading (those teach most),
 * then the correct answers, least confident first.
 */
export function mistakesFirstOrder(predictions: Predictions): number[] {
  const { predicted, trueLabels, confidence } = predictions;
  const indices = trueLabels.map((_, n) => n);
  const wrong = indices
    .filter((n) => predicted[n] !== trueLabels[n])
    .sort((a, b) => (confidence[b] as number) - (confidence[a] as number));
  const right = indices
    .filter((n) => predicted[n] === trueLabels[n])
    .sort((a, b) => (confidence[a] as number) - (confidence[b] as number));
  return [...wrong, ...right];
}

/**
 * Example indices from least to most sure, by the margin between the two most probable classes
 * (a digit split 48/47 between a 4 and a 9 is less sure than one at 48 with the rest spread out).
 */
export function leastSureOrder(predictions: Predictions): number[] {
  const margin = predictions.probabilities.map((p) => {
    const sorted = [...p].sort((a, b) => b - a);
    return (sorted[0] ?? 0) - (sorted[1] ?? 0);
  });
  return margin.map((_, n) => n).sort((a, b) => (margin[a] as number) - (margin[b] as number) || a - b);
}

/** The `count` most probable classes of one example with their probabilities, most probable first. */
export function topClasses(
  probabilities: ArrayLike<number>,
  count = 2,
): { readonly label: number; readonly probability: number }[] {
  return Array.from(probabilities, (probability, label) => ({ label, probability }))
    .sort((a, b) => b.probability - a.probability || a.label - b.label)
    .slice(0, count);
}
