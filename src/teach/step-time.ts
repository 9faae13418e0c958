/**
 * How long one training step takes, measured the way notebooks 4 and 9 answer "how much faster?":
 * a fresh model of the given settings, Adam, batches drawn from a split, one step to warm up (the
 * kernels compile, Adam makes its slots), then the mean of `steps` more, each waited for.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataSet } from '../data';
import { buildClassifier } from '../models';
import type { ModelSettings } from '../settings';
import { trainStep } from '../train';

/** Options of `trainingStepMs`. */
export interface StepTimeOptions {
  readonly batchSize: number;
  readonly learningRate: number;
  /** Timed steps, after the one that warms up. */
  readonly steps: number;
}

/** Mean milliseconds of one Adam step of a fresh model with `settings`, on `steps + 1` batches from `split` (the first not timed). */
export function trainingStepMs(settings: Partial<ModelSettings>, split: DataSet, options: StepTimeOptions): number {
  const { batchSize, learningRate, steps } = options;
  if (!Number.isInteger(steps) || steps < 1)
    throw new Error(`trainingStepMs: steps must be a whole number >= 1, got ${steps}`);
  const model = buildClassifier(settings);
  const optimizer = tf.train.adam(learningRate);
  let ms = 0;
  try {
    for (let s = 0; s <= steps; s++) {
      const batch = split.nextBatch(batchSize);
      const t0 = performance.now();
      trainStep(model, optimizer, batch.xs, batch.ys);
      model.variables[0]?.dataSync(); // wait for the step to finish
      if (s > 0) ms += performance.now() - t0; // step 0 warms up
      tf.dispose([batch.xs, batch.ys]);
    }
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  return ms / steps;
}
