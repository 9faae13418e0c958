/**
 * How right a classifier is, each measure written once: the tutorial's `accuracy` on a batch of
 * logits, the confusion matrix and the accuracy per class over a whole split's labels.
 */
import * as tf from '@tensorflow/tfjs';

/** Fraction of rows whose argmax matches the one-hot label (the tutorial's `accuracy`), a scalar. */
export function accuracy(logits: tf.Tensor2D, ys: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(ys, 1)), 'float32')) as tf.Scalar);
}

/** Counts of (true, predicted) pairs: `m[t][p]` is how many digits of class t were predicted as p. [numClasses][numClasses] */
export function confusionMatrix(
  trueLabels: ArrayLike<number>,
  predLabels: ArrayLike<number>,
  numClasses: number,
): number[][] {
  if (!(Number.isInteger(numClasses) && numClasses >= 1))
    throw new Error(`confusionMatrix: numClasses must be a positive integer, got ${numClasses}`);
  if (trueLabels.length !== predLabels.length)
    throw new Error(`confusionMatrix: ${trueLabels.length} trueLabels but ${predLabels.length} predLabels`);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < trueLabels.length; i++) {
    const t = trueLabels[i] as number;
    const p = predLabels[i] as number;
    for (const [name, label] of [
      ['trueLabels', t],
      ['predLabels', p],
    ] as const) {
      if (!(Number.isInteger(label) && label >= 0 && label < numClasses))
        throw new Error(`confusionMatrix: ${name}[${i}] must be an integer in 0..${numClasses - 1}, got ${label}`);
    }
    (m[t] as number[])[p] = ((m[t] as number[])[p] ?? 0) + 1;
  }
  return m;
}

/** Accuracy of one class: of the `total` digits labelled `label`, `correct` were predicted right. */
export interface ClassAccuracy {
  readonly label: number;
  readonly correct: number;
  readonly total: number;
  /** correct / total; NaN for a class with no examples. */
  readonly accuracy: number;
}

/** Accuracy per true class (the diagonal of the confusion matrix over its row sums). [numClasses] */
export function perClassAccuracy(
  trueLabels: ArrayLike<number>,
  predLabels: ArrayLike<number>,
  numClasses = 10,
): ClassAccuracy[] {
  if (trueLabels.length !== predLabels.length)
    throw new Error(`perClassAccuracy: ${trueLabels.length} trueLabels but ${predLabels.length} predLabels`);
  const correct = new Array<number>(numClasses).fill(0);
  const total = new Array<number>(numClasses).fill(0);
  for (let n = 0; n < trueLabels.length; n++) {
    const t = trueLabels[n] as number;
    if (!Number.isInteger(t) || t < 0 || t >= numClasses)
      throw new Error(`perClassAccuracy: trueLabels[${n}] = ${t} is not a class 0..${numClasses - 1}`);
    total[t] = (total[t] as number) + 1;
    if (predLabels[n] === t) correct[t] = (correct[t] as number) + 1;
  }
  return correct.map((c, label) => ({
    label,
    correct: c,
    total: total[label] as number,
    accuracy: c / (total[label] as number),
  }));
}
