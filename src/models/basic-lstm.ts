/**
 * The seed tutorial's model, written the way TF1 computed it:
 * `BasicLSTMCell(n_hidden, forget_bias=1.0)` unrolled by `static_rnn` over the 28 rows, and
 * logits = last output x `weights['out']` + `biases['out']`.
 *
 * Divergence notes (vs `tf.layers.lstm`): BasicLSTMCell keeps one kernel for `[x, h]` concatenated,
 * packs its gates as i, j, f, o (j is the candidate), starts its bias at 0 and adds `forgetBias`
 * inside the forget sigmoid at every step. `tf.layers.lstm` keeps separate input and recurrent
 * kernels, packs gates i, f, c, o and has no forget_bias term; `layers-lstm.ts` maps one onto
 * the other.
 */
import * as tf from '@tensorflow/tfjs';
import type { Classifier } from './classifier';

/** The seed's sizes; names map `n_input`→inputSize, `n_steps`→timeSteps, `n_hidden`→units, `n_classes`→numClasses. */
export interface SeedLstmOptions {
  readonly inputSize: number;
  readonly timeSteps: number;
  readonly units: number;
  readonly numClasses: number;
  /** Added to the forget gate's pre-activation at every step (TF1's `forget_bias`). */
  readonly forgetBias: number;
  /** Seeds the initialisers so the same seed gives the same initial weights. */
  readonly seed: number;
}

export const SEED_LSTM_DEFAULTS: SeedLstmOptions = {
  inputSize: 28,
  timeSteps: 28,
  units: 128,
  numClasses: 10,
  forgetBias: 1.0,
  seed: 0,
};

/** The LSTM state carried from one time step to the next: `c` and `h`, each `[batch, units]`. */
export interface LstmState {
  readonly c: tf.Tensor2D;
  readonly h: tf.Tensor2D;
}

/**
 * One step of TF1's BasicLSTMCell: x `[batch, inputSize]`, state `[batch, units]` each,
 * kernel `[inputSize + units, 4 * units]` (gates i, j, f, o), bias `[4 * units]`.
 */
export function basicLstmCellStep(
  x: tf.Tensor2D,
  state: LstmState,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  forgetBias: number,
): LstmState {
  return tf.tidy(() => {
    const gates = tf.add(tf.matMul(tf.concat([x, state.h], 1), kernel), bias); // [batch, 4 * units]
    const [i, j, f, o] = tf.split(gates, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const c = tf.add(
      tf.mul(state.c, tf.sigmoid(tf.add(f, forgetBias))),
      tf.mul(tf.sigmoid(i), tf.tanh(j)),
    ) as tf.Tensor2D;
    const h = tf.mul(tf.tanh(c), tf.sigmoid(o)) as tf.Tensor2D;
    return { c, h };
  });
}

/** TF1's default variable initialiser (glorot_uniform) for a `[fanIn, fanOut]` matrix. */
function glorotUniform(shape: [number, number], seed: number): tf.Tensor2D {
  const limit = Math.sqrt(6 / (shape[0] + shape[1]));
  return tf.randomUniform(shape, -limit, limit, 'float32', seed) as tf.Tensor2D;
}

/** The seed's model with TF1 semantics; implements `Classifier` so the seed's loop trains it. */
export class SeedLstm implements Classifier {
  readonly name = 'seed BasicLSTMCell';
  readonly options: SeedLstmOptions;
  /** `[inputSize + units, 4 * units]`, gates i, j, f, o. */
  readonly kernel: tf.Variable<tf.Rank.R2>;
  /** `[4 * units]`, starts at 0 like BasicLSTMCell's. */
  readonly bias: tf.Variable<tf.Rank.R1>;
  /** The seed's `weights['out']`, `[units, numClasses]`, `random_normal` (stddev 1) like the seed. */
  readonly weightsOut: tf.Variable<tf.Rank.R2>;
  /** The seed's `biases['out']`, `[numClasses]`, `random_normal` like the seed. */
  readonly biasesOut: tf.Variable<tf.Rank.R1>;

  constructor(options: Partial<SeedLstmOptions> = {}) {
    const o = { ...SEED_LSTM_DEFAULTS, ...options };
    this.options = o;
    const { inputSize, units, numClasses, seed } = o;
    // tf.tidy frees the initial values once the variables hold them (variables are never tidied).
    this.kernel = tf.tidy(() => tf.variable(glorotUniform([inputSize + units, 4 * units], seed), true, undefined, 'float32'));
    this.bias = tf.tidy(() => tf.variable(tf.zeros<tf.Rank.R1>([4 * units]), true));
    this.weightsOut = tf.tidy(() => tf.variable(tf.randomNormal<tf.Rank.R2>([units, numClasses], 0, 1, 'float32', seed + 1), true));
    this.biasesOut = tf.tidy(() => tf.variable(tf.randomNormal<tf.Rank.R1>([numClasses], 0, 1, 'float32', seed + 2), true));
  }

  get variables(): readonly tf.Variable[] {
    return [this.kernel, this.bias, this.weightsOut, this.biasesOut];
  }

  /** Runs the cell over every step (like `static_rnn`) and returns every `h`: `timeSteps` tensors of `[batch, units]`. */
  outputs(xs: tf.Tensor3D): tf.Tensor2D[] {
    return tf.tidy(() => {
      const [batch, timeSteps] = xs.shape;
      const { units, forgetBias } = this.options;
      // static_rnn takes a list of timeSteps tensors [batch, inputSize]: unstack along time.
      const rows = tf.unstack(xs, 1) as tf.Tensor2D[];
      let state: LstmState = { c: tf.zeros([batch, units]), h: tf.zeros([batch, units]) };
      const hs: tf.Tensor2D[] = [];
      for (let t = 0; t < timeSteps; t++) {
        state = basicLstmCellStep(rows[t] as tf.Tensor2D, state, this.kernel, this.bias, forgetBias);
        hs.push(state.h);
      }
      return hs;
    });
  }

  predict(xs: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => {
      const hs = this.outputs(xs);
      const last = hs[hs.length - 1] as tf.Tensor2D; // [batch, units]
      return tf.add(tf.matMul(last, this.weightsOut), this.biasesOut) as tf.Tensor2D;
    });
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}
