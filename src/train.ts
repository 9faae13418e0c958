/**
 * The tutorial's training loop (tutorial step 4), returning what it printed as data:
 *
 *   step = 1
 *   while step * batch_size < training_iters:
 *       batch_x, batch_y = mnist.train.next_batch(batch_size)   # reshaped to [batch, 28, 28]
 *       sess.run(optimizer, ...)                                 # Adam(learning_rate)
 *       if step % display_step == 0: print Iter, Minibatch Loss, Training Accuracy
 *       step += 1
 *   print "Optimization Finished!"; print "Testing Accuracy:" on the first 128 test images
 *
 * The loss and accuracy printed are computed on the same batch after the update, as the tutorial
 * does. Beyond the tutorial, it returns the accuracy on the whole test split (128 images move in
 * steps of 1/128) and can track validation accuracy for the curves.
 */
import * as tf from '@tensorflow/tfjs';
import { accuracy } from './metrics';
import { softmaxCrossEntropy, type Classifier } from './models/classifier';
import type { DataSet, Datasets } from './data';
import { formatIterLine, formatTestingLine } from './format';
import { UsageError } from './errors';
import { InterruptedError, watchForStop, type StopFlag, type StopOptions } from './interrupt';
import { resolveTrainSettings, TRAIN_DEFAULTS, type TrainSettings } from './settings';

/** What the loop tells its caller as it goes, and how it can be stopped (StopOptions: an AbortSignal, SIGINT). */
export interface TrainHooks extends StopOptions {
  /** Receives each line the tutorial prints, in order. */
  readonly onLog?: (line: string) => void;
  /** Receives each display-step record as soon as it is computed. */
  readonly onDisplay?: (record: DisplayRecord) => void;
  /** Receives each validation record. */
  readonly onValidation?: (record: ValidationRecord) => void;
  /** Called after every optimiser step. */
  readonly onProgress?: (progress: TrainProgress) => void;
  /** Told, in one line, when training looks wrong but goes on (a loss far above chance level). */
  readonly onWarning?: (message: string) => void;
}

/** The training settings (src/settings.ts, defaults TRAIN_DEFAULTS) and the hooks. */
export type TrainOptions = TrainSettings & TrainHooks;

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
  /** `steps * batchSize`, what the tutorial's `Iter` counts. */
  readonly examplesSeen: number;
  readonly history: readonly DisplayRecord[];
  readonly validation: readonly ValidationRecord[];
  /** Accuracy on the first `testExamples` test images: the tutorial's "Testing Accuracy" line. */
  readonly testingAccuracy: number;
  /** Accuracy on the whole test split. */
  readonly testAccuracy: number;
  /** Wall time of training plus testing. */
  readonly seconds: number;
}

/** Number of optimiser steps the tutorial's `while step * batch_size < training_iters` loop makes. */
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
  if (!(Number.isFinite(clipNorm) && clipNorm > 0))
    throw new Error(`clipByGlobalNorm: clipNorm must be a positive number, got ${clipNorm}`);
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
 * with the gradients clipped by global norm first when `options.clipNorm` > 0. Returns the batch's
 * loss before the update (NaN or Infinity once training has diverged).
 */
export function trainStep(
  model: Classifier,
  optimizer: tf.Optimizer,
  xs: tf.Tensor3D,
  ys: tf.Tensor2D,
  options: TrainStepOptions = {},
): number {
  checkTrainingBatch(model, xs, ys);
  const clipNorm = options.clipNorm ?? 0;
  const loss = (): tf.Scalar => softmaxCrossEntropy(model.predict(xs, true), ys);
  const variables = model.variables as tf.Variable[];
  const cost =
    clipNorm === 0
      ? optimizer.minimize(loss, true, variables)
      : tf.tidy(() => {
          const { value, grads } = tf.variableGrads(loss, variables); // grads keyed by variable name
          const { clipped } = clipByGlobalNorm(
            variables.map((v) => grads[v.name] as tf.Tensor),
            clipNorm,
          );
          optimizer.applyGradients(variables.map((v, k) => ({ name: v.name, tensor: clipped[k] as tf.Tensor })));
          return value;
        });
  const value = cost?.dataSync()[0] ?? NaN;
  cost?.dispose();
  return value;
}

/** The width of each model's logits, learned once from a one-example forward pass (no gradient tape). */
const logitWidths = new WeakMap<Classifier, number>();

/**
 * Throws before any gradient is recorded unless `xs` is `[batch, steps, features]` and `ys` the
 * one-hot `[batch, classes]` the model's logits need. A shape error found inside the recorded
 * forward pass would leave the tensors saved for the backward pass behind (hundreds per call).
 */
function checkTrainingBatch(model: Classifier, xs: tf.Tensor3D, ys: tf.Tensor2D): void {
  if (xs.rank !== 3 || xs.shape[0] === 0)
    throw new UsageError(
      `trainStep: xs must be [batch, time steps, features] with batch >= 1, got [${xs.shape.join(', ')}]`,
    );
  let width = logitWidths.get(model);
  if (width === undefined) {
    width = tf.tidy(() => model.predict(tf.slice(xs, [0, 0, 0], [1, -1, -1]) as tf.Tensor3D, false).shape[1]);
    logitWidths.set(model, width);
  }
  if (ys.rank !== 2 || ys.shape[0] !== xs.shape[0] || ys.shape[1] !== width) {
    throw new UsageError(
      `trainStep: labels must be one-hot [${xs.shape[0]}, ${width}] for xs [${xs.shape.join(', ')}], got [${ys.shape.join(', ')}]`,
    );
  }
  // Values too: labels of 3 or -1 have the right shape and would train to a loss of 70 or -23.
  // Read back and checked here (9 µs a batch of 128 on tensorflow, 20 on wasm; the same check as
  // tensor ops took 0.3 ms, 1.2% of a step): values in [0, 1], rows summing to 1, so that soft
  // labels (probabilities) pass.
  const values = ys.dataSync();
  for (let row = 0; row < ys.shape[0]; row++) {
    const part = Array.from(values.subarray(row * width, (row + 1) * width) as Float32Array);
    const sum = part.reduce((a, v) => a + v, 0);
    if (Math.abs(sum - 1) <= 1e-3 && part.every((v) => v >= 0 && v <= 1)) continue;
    throw new UsageError(
      `trainStep: labels must be one-hot (each row 0s and one 1, or probabilities summing to 1); row ${row} is [${part.map((v) => Number(v.toPrecision(4))).join(', ')}]`,
    );
  }
}

/** Training stopped because the loss became NaN or infinite; the message names the step and the likely cause. */
export class DivergedError extends UsageError {
  override readonly name: string = 'DivergedError';
  constructor(
    readonly step: number,
    readonly steps: number,
    readonly loss: number,
    learningRate: number,
  ) {
    super(
      `training diverged at step ${step} of ${steps}: the loss is ${Number.isNaN(loss) ? 'NaN' : loss > 0 ? 'infinite' : '-infinite'}; the learning rate (${learningRate}) is likely too high (the tutorial's is ${TRAIN_DEFAULTS.learningRate}), or clip the gradients (clipNorm)`,
    );
  }
}

/** Training was stopped (SIGINT, an AbortSignal) after `step` of `steps`; what it had logged so far. */
export class TrainingInterruptedError extends InterruptedError {
  override readonly name: string = 'TrainingInterruptedError';
  constructor(
    from: InterruptedError,
    readonly history: readonly DisplayRecord[],
    readonly validation: readonly ValidationRecord[],
  ) {
    super(from.step, from.steps, from.what, from.unit);
  }
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

/** Throws unless `batchSize` is a whole number >= 1 (0 would loop forever, a fraction slice between examples). */
function checkBatchSize(caller: string, batchSize: number): void {
  if (!(Number.isSafeInteger(batchSize) && batchSize >= 1))
    throw new UsageError(`${caller}: batchSize must be a whole number >= 1, got ${batchSize}`);
}

/** Loss and accuracy on examples `[start, end)` of a split, in batches of `batchSize` (weighted by batch length). */
export function evaluate(
  model: Classifier,
  data: DataSet,
  batchSize: number,
  start = 0,
  end = data.numExamples,
): { loss: number; accuracy: number } {
  checkBatchSize('evaluate', batchSize);
  if (end <= start)
    throw new Error(`evaluate: empty range [${start}, ${end}) of a split with ${data.numExamples} examples`);
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

/** Lets the event loop run (tslab sends display updates, Ctrl-C arrives) without slowing the loop. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** `evaluate`, letting SIGINT in between batches and stopping when `stop` is requested (training's `step` of `steps` done). */
async function evaluateUnlessStopped(
  model: Classifier,
  data: DataSet,
  batchSize: number,
  stop: StopFlag,
  at: [number, number],
  start = 0,
  end = data.numExamples,
): Promise<{ loss: number; accuracy: number }> {
  checkBatchSize('evaluate', batchSize);
  let loss = 0;
  let correct = 0;
  for (let from = start; from < end; from += batchSize) {
    await yieldToEventLoop();
    stop.check(at[0], at[1], 'evaluation');
    const to = Math.min(end, from + batchSize);
    const part = evaluate(model, data, batchSize, from, to);
    loss += part.loss * (to - from);
    correct += part.accuracy * (to - from);
  }
  const n = end - start;
  return { loss: loss / n, accuracy: Math.round(correct) / n };
}

/** A minibatch loss above this many times chance level's, ln(classes), gets one warning per run. */
const LOSS_WARNING_FACTOR = 10;

/**
 * Trains `model` with the tutorial's loop on `data.train`, then tests on `data.test`.
 * No tensors leak: `tf.memory().numTensors` is the same after every step once Adam has made its slots.
 *
 * Stops (StopOptions): on SIGINT or the signal, before its next step or evaluation batch, it
 * frees what it made and rejects with a TrainingInterruptedError; the model keeps the weights of
 * the last completed step. A loss of NaN or Infinity rejects with a DivergedError naming the step.
 */
export async function trainTutorial(
  model: Classifier,
  data: Datasets,
  options: Partial<TrainOptions> = {},
): Promise<TrainResult> {
  const { onLog, onDisplay, onValidation, onProgress, onWarning } = options;
  const o: TrainOptions = { ...resolveTrainSettings(options), onLog, onDisplay, onValidation, onProgress, onWarning };
  if (o.batchSize > data.train.numExamples) {
    throw new UsageError(
      `batchSize ${o.batchSize} is larger than the training split (${data.train.numExamples} examples)`,
    );
  }
  const testExamples = Math.min(o.testExamples, data.test.numExamples);
  const steps = countSteps(o.trainingIters, o.batchSize);
  const history: DisplayRecord[] = [];
  const validation: ValidationRecord[] = [];
  const started = performance.now();
  const stop = watchForStop(options);
  const optimizer = tf.train.adam(o.learningRate);
  let warned = false;
  try {
    for (let step = 1; step <= steps; step++) {
      stop.check(step - 1, steps);
      const { xs, ys } = data.train.nextBatch(o.batchSize);
      try {
        const loss = trainStep(model, optimizer, xs, ys, { clipNorm: o.clipNorm });
        if (!Number.isFinite(loss)) throw new DivergedError(step, steps, loss, o.learningRate);
        if (step % o.displayStep === 0) {
          const r = evaluateBatch(model, xs, ys);
          const record: DisplayRecord = { step, examplesSeen: step * o.batchSize, ...r };
          history.push(record);
          o.onLog?.(formatIterLine(record.examplesSeen, record.loss, record.accuracy));
          o.onDisplay?.(record);
          const chance = Math.log(ys.shape[1]);
          if (!warned && record.loss > LOSS_WARNING_FACTOR * chance) {
            warned = true;
            o.onWarning?.(
              `step ${step}: the minibatch loss ${record.loss.toFixed(1)} is over ${LOSS_WARNING_FACTOR} x ln(${ys.shape[1]}) = ${(LOSS_WARNING_FACTOR * chance).toFixed(1)}, far above guessing; the learning rate (${o.learningRate}) is likely too high`,
            );
          }
        }
      } finally {
        xs.dispose();
        ys.dispose();
      }
      if (o.validateEvery > 0 && (step % o.validateEvery === 0 || step === steps) && data.validation.numExamples > 0) {
        const record: ValidationRecord = {
          step,
          examplesSeen: step * o.batchSize,
          ...(await evaluateUnlessStopped(model, data.validation, o.evalBatchSize, stop, [step, steps])),
        };
        validation.push(record);
        o.onValidation?.(record);
      }
      o.onProgress?.({
        step,
        steps,
        examplesSeen: step * o.batchSize,
        total: steps * o.batchSize,
        elapsedMs: performance.now() - started,
      });
      // Every step: a SIGINT is seen before the next one starts.
      await yieldToEventLoop();
    }
    stop.check(steps, steps);
    o.onLog?.('Optimization Finished!');
    const testingAccuracy = (
      await evaluateUnlessStopped(model, data.test, o.evalBatchSize, stop, [steps, steps], 0, testExamples)
    ).accuracy;
    o.onLog?.(formatTestingLine(testingAccuracy));
    const testAccuracy = (await evaluateUnlessStopped(model, data.test, o.evalBatchSize, stop, [steps, steps]))
      .accuracy;
    return {
      steps,
      examplesSeen: steps * o.batchSize,
      history,
      validation,
      testingAccuracy,
      testAccuracy,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (err) {
    throw err instanceof InterruptedError ? new TrainingInterruptedError(err, history, validation) : err;
  } finally {
    stop.release();
    optimizer.dispose();
  }
}
