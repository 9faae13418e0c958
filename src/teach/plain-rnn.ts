/**
 * A plain (Elman) recurrent network, the simplest RNN there is, with its backpropagation through
 * time (BPTT) written out by hand:
 *
 *   h_t    = tanh(x_t·Wx + h_(t-1)·Wh + b)        h_(-1) = 0, each h_t [batch, units]
 *   logits = h_(T-1)·Wy + by                       [batch, numClasses]
 *   loss   = mean softmax cross-entropy (the tutorial's cost)
 *
 * Notebook 5 writes the same forward and backward passes inline (that is the lesson) and checks
 * them against `tf.grad` and finite differences; this tested copy is what notebook 6 measures
 * vanishing and exploding gradients on and notebook 7 trains on MNIST next to the LSTM, and what
 * the unit tests hold the hand-written gradients to.
 */
import * as tf from '@tensorflow/tfjs';
import type { Classifier } from '../models';

/** The five weight tensors of a plain RNN and its output layer. */
export interface PlainRnnParams {
  /** Input weights `[inputSize, units]`. */
  readonly wx: tf.Tensor2D;
  /** Recurrent weights `[units, units]`: the same matrix at every time step. */
  readonly wh: tf.Tensor2D;
  /** Hidden bias `[units]`. */
  readonly b: tf.Tensor1D;
  /** Output weights `[units, numClasses]` (the tutorial's `weights.out`). */
  readonly wy: tf.Tensor2D;
  /** Output bias `[numClasses]` (the tutorial's `biases.out`). */
  readonly by: tf.Tensor1D;
}

/** The parameter names in the fixed order used by `variables` and gradient lists. */
export const PLAIN_RNN_PARAM_NAMES = ['wx', 'wh', 'b', 'wy', 'by'] as const;

/** What the forward pass keeps for the backward pass. */
export interface PlainRnnForward {
  /** Every hidden state, `timeSteps` tensors `[batch, units]`. */
  readonly hs: tf.Tensor2D[];
  /** `[batch, numClasses]`. */
  readonly logits: tf.Tensor2D;
}

/** Gradients of the mean cross-entropy, shaped like the parameters, plus dL/dh_t at every step. */
export interface PlainRnnGradients {
  readonly wx: tf.Tensor2D;
  readonly wh: tf.Tensor2D;
  readonly b: tf.Tensor1D;
  readonly wy: tf.Tensor2D;
  readonly by: tf.Tensor1D;
  /** dL/dh_t for t = 0..T-1, each `[batch, units]`: how the error reaches back in time. */
  readonly dhs: tf.Tensor2D[];
}

/**
 * Runs the RNN over `xs [batch, timeSteps, inputSize]`, from the state `h0` (default zeros; a
 * truncated-BPTT chunk starts from the state the chunk before left); the caller disposes the result.
 */
export function plainRnnForward(p: PlainRnnParams, xs: tf.Tensor3D, h0?: tf.Tensor2D): PlainRnnForward {
  return tf.tidy(() => {
    const [batch, timeSteps] = xs.shape;
    const units = p.wh.shape[0];
    const rows = tf.unstack(xs, 1) as tf.Tensor2D[]; // timeSteps x [batch, inputSize]
    let h = h0 ?? (tf.zeros([batch, units]) as tf.Tensor2D);
    const hs: tf.Tensor2D[] = [];
    for (let t = 0; t < timeSteps; t++) {
      h = tf.tanh(tf.add(tf.add(tf.matMul(rows[t] as tf.Tensor2D, p.wx), tf.matMul(h, p.wh)), p.b)) as tf.Tensor2D;
      hs.push(h);
    }
    return { hs, logits: tf.add(tf.matMul(h, p.wy), p.by) as tf.Tensor2D };
  });
}

/** Mean softmax cross-entropy of the RNN on `xs [batch, steps, inputSize]` against one-hot `ys [batch, classes]`, a scalar. */
export function plainRnnLoss(p: PlainRnnParams, xs: tf.Tensor3D, ys: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.losses.softmaxCrossEntropy(ys, plainRnnForward(p, xs).logits) as tf.Scalar);
}

/**
 * Backpropagation through time by hand, for the mean softmax cross-entropy:
 * the error enters at the last step and walks back through every step, adding each step's share
 * to the gradients of the shared weights. The caller disposes the result.
 */
export function plainRnnBackward(
  p: PlainRnnParams,
  xs: tf.Tensor3D,
  ys: tf.Tensor2D,
  forward: PlainRnnForward,
): PlainRnnGradients {
  return tf.tidy(() => {
    const [batch, timeSteps] = xs.shape;
    const rows = tf.unstack(xs, 1) as tf.Tensor2D[];
    const { hs, logits } = forward;
    // d(mean cross-entropy)/d(logits) = (softmax - ys) / batch
    const dLogits = tf.div(tf.sub(tf.softmax(logits), ys), batch) as tf.Tensor2D;
    const hLast = hs[timeSteps - 1] as tf.Tensor2D;
    const wy = tf.matMul(hLast, dLogits, true, false) as tf.Tensor2D;
    const by = tf.sum(dLogits, 0) as tf.Tensor1D;
    let dh = tf.matMul(dLogits, p.wy, false, true) as tf.Tensor2D; // dL/dh_(T-1)
    let wx = tf.zerosLike(p.wx) as tf.Tensor2D;
    let wh = tf.zerosLike(p.wh) as tf.Tensor2D;
    let b = tf.zerosLike(p.b) as tf.Tensor1D;
    const dhs: tf.Tensor2D[] = new Array<tf.Tensor2D>(timeSteps);
    for (let t = timeSteps - 1; t >= 0; t--) {
      dhs[t] = dh;
      const h = hs[t] as tf.Tensor2D;
      const hPrev = t > 0 ? (hs[t - 1] as tf.Tensor2D) : tf.zerosLike(h);
      const da = tf.mul(dh, tf.sub(1, tf.square(h))) as tf.Tensor2D; // through tanh: 1 - h^2
      // The same Wx, Wh, b act at every step, so their gradients are sums over the steps.
      wx = tf.add(wx, tf.matMul(rows[t] as tf.Tensor2D, da, true, false));
      wh = tf.add(wh, tf.matMul(hPrev, da, true, false));
      b = tf.add(b, tf.sum(da, 0));
      dh = tf.matMul(da, p.wh, false, true); // to h_(t-1)
    }
    return { wx, wh, b, wy, by, dhs };
  });
}

/** Options of `PlainRnn`. */
export interface PlainRnnOptions {
  readonly inputSize: number;
  readonly units: number;
  readonly numClasses: number;
  /** Seeds the initialisers, so the same seed gives the same initial weights. */
  readonly seed: number;
}

export const PLAIN_RNN_DEFAULTS: PlainRnnOptions = { inputSize: 28, units: 128, numClasses: 10, seed: 0 };

function glorotUniform(shape: [number, number], seed: number): tf.Tensor2D {
  const limit = Math.sqrt(6 / (shape[0] + shape[1]));
  return tf.randomUniform(shape, -limit, limit, 'float32', seed) as tf.Tensor2D;
}

/** A plain tanh RNN + output layer as a `Classifier`, so the tutorial's loop (`trainStep`) trains it like the LSTM. */
export class PlainRnn implements Classifier, PlainRnnParams {
  readonly name = 'plain tanh RNN';
  readonly options: PlainRnnOptions;
  readonly wx: tf.Variable<tf.Rank.R2>;
  readonly wh: tf.Variable<tf.Rank.R2>;
  readonly b: tf.Variable<tf.Rank.R1>;
  readonly wy: tf.Variable<tf.Rank.R2>;
  readonly by: tf.Variable<tf.Rank.R1>;

  constructor(options: Partial<PlainRnnOptions> = {}) {
    const o = { ...PLAIN_RNN_DEFAULTS, ...options };
    this.options = o;
    const { inputSize, units, numClasses, seed } = o;
    // Glorot uniform for every matrix and zero biases, as the tutorial's BasicLSTMCell starts.
    this.wx = tf.tidy(() => tf.variable(glorotUniform([inputSize, units], seed)));
    this.wh = tf.tidy(() => tf.variable(glorotUniform([units, units], seed + 1)));
    this.b = tf.tidy(() => tf.variable(tf.zeros<tf.Rank.R1>([units])));
    this.wy = tf.tidy(() => tf.variable(glorotUniform([units, numClasses], seed + 2)));
    this.by = tf.tidy(() => tf.variable(tf.zeros<tf.Rank.R1>([numClasses])));
  }

  get variables(): readonly tf.Variable[] {
    return [this.wx, this.wh, this.b, this.wy, this.by];
  }

  /** Every hidden state for `xs [batch, timeSteps, inputSize]`: `timeSteps` tensors `[batch, units]`. */
  outputs(xs: tf.Tensor3D): tf.Tensor2D[] {
    return tf.tidy(() => plainRnnForward(this, xs).hs);
  }

  predict(xs: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => plainRnnForward(this, xs).logits);
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}
