/**
 * A task with an answer at every step, for truncated backpropagation through time (notebook 6):
 * the echo. One bit arrives per step; at every step `t >= delay` the network must answer the bit
 * it read `delay` steps before, `x_(t - delay)`. The loss is the mean of the per-step
 * cross-entropies, so the error enters at every step, not only at the last one.
 *
 * Truncated BPTT trains on chunks of `window` steps: the state is carried from one chunk to the
 * next, the error is not, and the weights are updated after each chunk. The answer at step `t` can
 * only be traced back to `x_(t - delay)` when both fall in one chunk, which needs `window > delay`.
 */
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../random';
import { plainRnnForward, type PlainRnnParams } from './plain-rnn';

/** Options of `makeEchoTask`. */
export interface EchoOptions {
  /** Sequences. */
  readonly count: number;
  /** Steps per sequence. */
  readonly timeSteps: number;
  /** How many steps back the answer lies. */
  readonly delay: number;
  /** Seed of the random bits. */
  readonly seed: number;
}

/** Seeded echo sequences; the caller disposes `xs` and `ys`. */
export interface EchoTask {
  readonly delay: number;
  /** The bits, `[count][timeSteps]`. */
  readonly bits: number[][];
  /** `[count, timeSteps, 1]`: one bit per step. */
  readonly xs: tf.Tensor3D;
  /** `[count, timeSteps, 2]`: at step `t >= delay` the one-hot of `bits[t - delay]`; zeros before (no answer asked). */
  readonly ys: tf.Tensor3D;
}

/** Random bits and their echoes `delay` steps later. */
export function makeEchoTask(options: EchoOptions): EchoTask {
  const { count, timeSteps, delay, seed } = options;
  for (const [name, value, least] of [
    ['count', count, 1],
    ['timeSteps', timeSteps, 1],
    ['delay', delay, 0],
  ] as const) {
    if (!Number.isInteger(value) || value < least)
      throw new Error(`makeEchoTask: ${name} must be a whole number >= ${least}, got ${value}`);
  }
  if (delay >= timeSteps)
    throw new Error(`makeEchoTask: delay ${delay} leaves no step to answer in ${timeSteps} steps`);
  const random = mulberry32(seed);
  const bits = Array.from({ length: count }, () => Array.from({ length: timeSteps }, () => (random() < 0.5 ? 0 : 1)));
  const answers = new Float32Array(count * timeSteps * 2);
  bits.forEach((row, n) => {
    for (let t = delay; t < timeSteps; t++) answers[(n * timeSteps + t) * 2 + (row[t - delay] ?? 0)] = 1;
  });
  return {
    delay,
    bits,
    xs: tf.tensor3d(Float32Array.from(bits.flat()), [count, timeSteps, 1]),
    ys: tf.tensor3d(answers, [count, timeSteps, 2]),
  };
}

/** The chunk `[from, to)` from state `h0`: the mean cross-entropy of its answers (steps >= delay; 0 if none) and the state after it. */
function runChunk(
  net: PlainRnnParams,
  task: EchoTask,
  from: number,
  to: number,
  h0: tf.Tensor2D,
): { loss: tf.Scalar; h: tf.Tensor2D } {
  const { hs } = plainRnnForward(net, tf.slice(task.xs, [0, from, 0], [-1, to - from, -1]), h0);
  const losses: tf.Scalar[] = [];
  hs.forEach((h, k) => {
    if (from + k < task.delay) return;
    const target = tf.squeeze(tf.slice(task.ys, [0, from + k, 0], [-1, 1, -1]), [1]) as tf.Tensor2D;
    losses.push(tf.losses.softmaxCrossEntropy(target, tf.add(tf.matMul(h, net.wy), net.by)) as tf.Scalar);
  });
  return {
    loss: losses.length === 0 ? tf.scalar(0) : tf.div(tf.addN(losses), losses.length),
    h: hs[hs.length - 1] ?? h0,
  };
}

/** The chunks of `window` steps a sequence of `timeSteps` is cut into, as `[from, to)`. */
function chunks(timeSteps: number, window: number): [number, number][] {
  if (!Number.isInteger(window) || window < 1)
    throw new Error(`truncated BPTT: window must be a whole number >= 1, got ${window}`);
  const out: [number, number][] = [];
  for (let from = 0; from < timeSteps; from += window) out.push([from, Math.min(timeSteps, from + window)]);
  return out;
}

/** Mean per-step cross-entropy of the whole sequences (steps >= delay), a scalar: what truncation approximates. */
export function echoLoss(net: PlainRnnParams, task: EchoTask): tf.Scalar {
  return tf.tidy(() => {
    const [count, timeSteps] = task.xs.shape;
    return runChunk(net, task, 0, timeSteps, tf.zeros([count, net.wh.shape[0]])).loss;
  });
}

/**
 * The gradients truncated BPTT takes, summed over the chunks, at the current weights (no update):
 * each chunk's loss differentiated with the state it starts from held constant, each weighted by
 * its share of the answered steps so that `window >= timeSteps` gives exactly `echoLoss`'s gradient.
 */
export function truncatedEchoGradients(
  net: PlainRnnParams,
  task: EchoTask,
  window: number,
): Record<'wx' | 'wh' | 'b' | 'wy' | 'by', tf.Tensor> {
  return tf.tidy(() => {
    const [count, timeSteps] = task.xs.shape;
    const answered = timeSteps - task.delay;
    let h = tf.zeros([count, net.wh.shape[0]]) as tf.Tensor2D;
    const names = ['wx', 'wh', 'b', 'wy', 'by'] as const;
    let sums: tf.Tensor[] = names.map((n) => tf.zerosLike(net[n]));
    for (const [from, to] of chunks(timeSteps, window)) {
      const start = h;
      const share = Math.max(0, to - Math.max(from, task.delay)) / answered;
      h = runChunk(net, task, from, to, start).h;
      if (share === 0) continue; // no answer asked in this chunk: no error to send back
      const g = tf.grads((wx, wh, b, wy, by) => {
        const weights = { wx, wh, b, wy, by } as unknown as PlainRnnParams;
        return tf.mul(runChunk(weights, task, from, to, start).loss, share) as tf.Scalar;
      })(names.map((n) => net[n]));
      sums = sums.map((s, k) => tf.add(s, g[k] as tf.Tensor));
    }
    return Object.fromEntries(names.map((n, k) => [n, sums[k] as tf.Tensor])) as Record<
      (typeof names)[number],
      tf.Tensor
    >;
  });
}

/**
 * One pass of truncated BPTT over the sequences: for each chunk of `window` steps, one optimiser
 * update on that chunk's loss, then the state the next chunk starts from, computed with the
 * weights just updated. Returns the mean of the chunks' losses.
 */
export function trainEchoTruncated(
  net: PlainRnnParams & { readonly variables: readonly tf.Variable[] },
  optimizer: tf.Optimizer,
  task: EchoTask,
  window: number,
): number {
  const [count, timeSteps] = task.xs.shape;
  let h = tf.zeros([count, net.wh.shape[0]]) as tf.Tensor2D;
  let total = 0;
  let counted = 0;
  for (const [from, to] of chunks(timeSteps, window)) {
    const start = h;
    if (to > task.delay) {
      const cost = optimizer.minimize(
        () => runChunk(net, task, from, to, start).loss,
        true,
        net.variables as tf.Variable[],
      );
      total += cost?.dataSync()[0] ?? Number.NaN;
      counted += 1;
      cost?.dispose();
    }
    h = tf.tidy(() => runChunk(net, task, from, to, start).h);
    start.dispose();
  }
  h.dispose();
  return total / Math.max(1, counted);
}

/** Fraction of right answers over all answered steps (`t >= delay`), reading each sequence whole. */
export function echoAccuracy(net: PlainRnnParams, task: EchoTask): number {
  return tf.tidy(() => {
    const answers = plainRnnForward(net, task.xs)
      .hs.slice(task.delay)
      .map((h) => tf.argMax(tf.add(tf.matMul(h, net.wy), net.by), 1));
    const wanted = tf.argMax(tf.slice(task.ys, [0, task.delay, 0], [-1, -1, -1]), 2); // [count, answered]
    const given = tf.stack(answers, 1);
    return tf.mean(tf.cast(tf.equal(given, wanted), 'float32')).dataSync()[0] ?? Number.NaN;
  });
}
