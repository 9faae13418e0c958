/**
 * The seed's training loop (tutorial step 4), returning what it printed as data:
 *
 *   step = 1
 *   while step * batch_size < training_iters:
 *       batch_x, batch_y = mnist.train.next_batch(batch_size)   # reshaped to [batch, 28, 28]
 *       sess.run(optimizer, ...)                                 # Adam(learning_rate)
 *       if step % display_step == 0: print Iter, Minibatch Loss, Training Accuracy
 *       step += 1
 *   print "Optimization Finished!"; print "Testing Accuracy:" on the first 128 test images
 *
 * The loss and accuracy printed are computed on the same batch after the update, as the seed
 * does. Beyond the seed, it returns the accuracy on the whole test split (128 images move in
 * steps of 1/128) and can track validation accuracy for the curves.
 */
import * as tf from '@tensorflow/tfjs';
import { accuracy, softmaxCrossEntropy, type Classifier } from './models/classifier';
import type { DataSet, Datasets } from './data';
import { formatIterLine, formatTestingLine } from './format';

/** The seed's hyperparameters (`training_iters`, `batch_size`, `display_step`, `learning_rate`) and our hooks. */
export interface TrainOptions {
  /** Examples to train on; the loop runs while `step * batchSize < trainingIters` (781 steps for the defaults). */
  readonly trainingIters: number;
  readonly batchSize: number;
  /** Log (and record) every `displayStep` optimiser steps. */
  readonly displayStep: number;
  readonly learningRate: number;
  /**
   * Clip the gradients by their global norm before each update (not in the seed): when
   * ‖g‖ = sqrt(Σ over every variable of Σ g²) exceeds `clipNorm`, every gradient is scaled by
   * clipNorm / ‖g‖, so the step keeps its direction. 0 turns clipping off (the seed's loop).
   */
  readonly clipNorm: number;
  /** The seed's "Testing Accuracy" uses the first 128 test images. */
  readonly testExamples: number;
  /** Evaluate the validation split every this many steps (0: never, like the seed). */
  readonly validateEvery: number;
  /** Batch size for evaluation passes (memory, not results). */
  readonly evalBatchSize: number;
  /** Receives each line the seed prints, in order. */
  readonly onLog?: (line: string) => void;
  /** Receives each display-step record as soon as it is computed. */
  readonly onDisplay?: (record: DisplayRecord) => void;
  /** Receives each validation record. */
  readonly onValidation?: (record: ValidationRecord) => void;
  /** Called after every optimiser step. */
  readonly onProgress?: (progress: TrainProgress) => void;
}

export const TRAIN_DEFAULTS: TrainOptions = {
  trainingIters: 100_000,
  batchSize: 128,
  displayStep: 10,
  learningRate: 0.001,
  clipNorm: 0,
  testExamples: 128,
  validateEvery: 0,
  evalBatchSize: 500,
};

/** One printed line's numbers: `Iter examplesSeen, Minibatch Loss= loss, Training Accuracy= accuracy`. */
export interface DisplayRecord {
  readonly step: number;
  readonly examplesSeen: number;
  readonly loss: number;
  readonly accuracy: number;
}

/** The same numbers measured on the whole validation split instead of one batch. */
export type ValidationRecord = DisplayRecord;

export interface TrainProgress {
  readonly step: number;
  readonly steps: number;
  readonly examplesSeen: number;
  readonly total: number;
  readonly elapsedMs: number;
}

export interface TrainResult {
  readonly steps: number;
  /** `steps * batchSize`, what the seed's `Iter` counts. */
  readonly examplesSeen: number;
  readonly history: readonly DisplayRecord[];
  readonly validation: readonly ValidationRecord[];
  /** Accuracy on the first `testExamples` test images: the seed's "Testing Accuracy". */
  readonly testAccuracy128: number;
  /** Accuracy on the whole test split. */
  readonly testAccuracy: number;
  /** Wall time of training plus testing. */
  readonly seconds: number;
}

/** Number of optimiser steps the seed's `while step * batch_size < training_iters` loop makes. */
export function countSteps(trainingIters: number, batchSize: number): number {
  return Math.max(0, Math.ceil(trainingIters / batchSize) - 1);
}

/** Gradients scaled to a global norm of at most `clipNorm`, and the norm they had (TF's `clip_by_global_norm`). */
export interface ClippedGradients {
  /** Each gradient times clipNorm / max(‖g‖, clipNorm): unchanged when ‖g‖ <= clipNorm. Same shapes as the input. */
  readonly clipped: tf.Tensor[];
  /** ‖g‖ = sqrt(Σ_k Σ g_k²) over all the gradients, before clipping, a scalar. */
  readonly globalNorm: tf.Scalar;
}

/**
 * Clip by global norm: g_k · clipNorm / max(‖g‖, clipNorm) for every gradient g_k, where ‖g‖ is the
 * norm of all of them taken together. Scaling them all by one factor keeps the update's direction.
 * `clipNorm` must be > 0. The caller disposes the result.
 */
export function clipByGlobalNorm(grads: readonly tf.Tensor[], clipNorm: number): ClippedGradients {
  if (!(Number.isFinite(clipNorm) && clipNorm > 0)) throw new Error(`clipByGlobalNorm: clipNorm must be a positive number, got ${clipNorm}`);
  if (grads.length === 0) throw new Error('clipByGlobalNorm: no gradients');
  return tf.tidy(() => {
    const globalNorm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
    const scale = tf.div(clipNorm, tf.maximum(globalNorm, clipNorm));
    return { clipped: grads.map((g) => tf.mul(g, scale)), globalNorm };
  });
}

/** Options of `trainStep`. */
export interface TrainStepOptions {
  /** Clip the gradients to this global norm before the update (`clipByGlobalNorm`); 0 or absent: no clipping. */
  readonly clipNorm?: number;
}

/**
 * One Adam (or any optimiser) update on a batch: `xs [batch, steps, features]`, one-hot `ys [batch, classes]`,
 * with the gradients clipped by global norm first when `options.clipNorm` > 0.
 */
export function trainStep(model: Classifier, optimizer: tf.Optimizer, xs: tf.Tensor3D, ys: tf.Tensor2D, options: TrainStepOptions = {}): void {
  const clipNorm = options.clipNorm ?? 0;
  const loss = (): tf.Scalar => softmaxCrossEntropy(model.predict(xs, true), ys);
  if (clipNorm === 0) {
    optimizer.minimize(loss, false, model.variables as tf.Variable[]);
    return;
  }
  tf.tidy(() => {
    const variables = model.variables as tf.Variable[];
    const { grads } = tf.variableGrads(loss, variables); // keyed by variable name
    const { clipped } = clipByGlobalNorm(variables.map((v) => grads[v.name] as tf.Tensor), clipNorm);
    optimizer.applyGradients(variables.map((v, k) => ({ name: v.name, tensor: clipped[k] as tf.Tensor })));
  });
}

/** Loss and accuracy of `model` on one batch, as numbers. */
export function evaluateBatch(model: Classifier, xs: tf.Tensor3D, ys: tf.Tensor2D): { loss: number; accuracy: number } {
  const [loss, acc] = tf.tidy(() => {
    const logits = model.predict(xs, false);
    return [softmaxCrossEntropy(logits, ys), accuracy(logits, ys)];
  });
  const result = { loss: loss.dataSync()[0] ?? NaN, accuracy: acc.dataSync()[0] ?? NaN };
  loss.dispose();
  acc.dispose();
  return result;
}

/** Loss and accuracy on examples `[start, end)` of a split, in batches of `batchSize` (weighted by batch length). */
export function evaluate(model: Classifier, data: DataSet, batchSize: number, start = 0, end = data.numExamples): { loss: number; accuracy: number } {
  if (end <= start) throw new Error(`evaluate: empty range [${start}, ${end}) of a split with ${data.numExamples} examples`);
  let loss = 0;
  let correct = 0;
  for (let from = start; from < end; from += batchSize) {
    const to = Math.min(end, from + batchSize);
    const { xs, ys } = data.slice(from, to);
    const r = evaluateBatch(model, xs, ys);
    xs.dispose();
    ys.dispose();
    loss += r.loss * (to - from);
    correct += r.accuracy * (to - from);
  }
  const n = end - start;
  return { loss: loss / n, accuracy: Math.round(correct) / n };
}

function checkOptions(o: TrainOptions): void {
  const positive: (keyof TrainOptions)[] = ['trainingIters', 'batchSize', 'displayStep', 'learningRate', 'testExamples', 'evalBatchSize'];
  for (const key of positive) {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`train: ${key} must be a positive number, got ${String(v)}`);
  }
  for (const key of ['trainingIters', 'batchSize', 'displayStep', 'testExamples', 'evalBatchSize', 'validateEvery'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 0) throw new Error(`train: ${key} must be a whole number, got ${o[key]}`);
  }
  if (typeof o.clipNorm !== 'number' || !Number.isFinite(o.clipNorm) || o.clipNorm < 0) {
    throw new Error(`train: clipNorm must be a number >= 0 (0: no clipping), got ${String(o.clipNorm)}`);
  }
}

/** Lets the event loop run (tslab sends display updates, Ctrl-C arrives) without slowing the loop. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Trains `model` with the seed's loop on `data.train`, then tests on `data.test`.
 * No tensors leak: `tf.memory().numTensors` is the same after every step once Adam has made its slots.
 */
export async function trainSeed(model: Classifier, data: Datasets, options: Partial<TrainOptions> = {}): Promise<TrainResult> {
  const o: TrainOptions = { ...TRAIN_DEFAULTS, ...options };
  checkOptions(o);
  if (o.batchSize > data.train.numExamples) {
    throw new Error(`train: batchSize ${o.batchSize} is larger than the training split (${data.train.numExamples} examples)`);
  }
  const testExamples = Math.min(o.testExamples, data.test.numExamples);
  const steps = countSteps(o.trainingIters, o.batchSize);
  const optimizer = tf.train.adam(o.learningRate);
  const history: DisplayRecord[] = [];
  const validation: ValidationRecord[] = [];
  const started = performance.now();
  try {
    for (let step = 1; step <= steps; step++) {
      const { xs, ys } = data.train.nextBatch(o.batchSize);
      try {
        trainStep(model, optimizer, xs, ys, { clipNorm: o.clipNorm });
        if (step % o.displayStep === 0) {
          const r = evaluateBatch(model, xs, ys);
          const record: DisplayRecord = { step, examplesSeen: step * o.batchSize, ...r };
          history.push(record);
          o.onLog?.(formatIterLine(record.examplesSeen, record.loss, record.accuracy));
          o.onDisplay?.(record);
        }
      } finally {
        xs.dispose();
        ys.dispose();
      }
      if (o.validateEvery > 0 && (step % o.validateEvery === 0 || step === steps) && data.validation.numExamples > 0) {
        const record: ValidationRecord = { step, examplesSeen: step * o.batchSize, ...evaluate(model, data.validation, o.evalBatchSize) };
        validation.push(record);
        o.onValidation?.(record);
      }
      o.onProgress?.({ step, steps, examplesSeen: step * o.batchSize, total: steps * o.batchSize, elapsedMs: performance.now() - started });
      if (step % o.displayStep === 0) await yieldToEventLoop();
    }
  } finally {
    optimizer.dispose();
  }
  o.onLog?.('Optimization Finished!');
  const testAccuracy128 = evaluate(model, data.test, o.evalBatchSize, 0, testExamples).accuracy;
  o.onLog?.(formatTestingLine(testAccuracy128));
  const testAccuracy = evaluate(model, data.test, o.evalBatchSize).accuracy;
  return {
    steps,
    examplesSeen: steps * o.batchSize,
    history,
    validation,
    testAccuracy128,
    testAccuracy,
    seconds: (performance.now() - started) / 1000,
  };
}
