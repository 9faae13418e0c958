/**
 * The tutorial's own model (kind `basic`), written the way its TF1 code computed it:
 * `BasicLSTMCell(n_hidden, forget_bias=1.0)` unrolled by `static_rnn` over the 28 rows, and
 * logits = last output x `weights['out']` + `biases['out']`. lstm-mapping.ts maps its weights to
 * and from the tf.layers model that computes exactly the same function.
 *
 * Divergence notes (vs `tf.layers.lstm`): BasicLSTMCell keeps one kernel for `[x, h]` concatenated,
 * packs its gates as i, j, f, o (j is the candidate), starts its bias at 0 and adds `forgetBias`
 * inside the forget sigmoid at every step. `tf.layers.lstm` keeps separate input and recurrent
 * kernels, packs gates i, f, c, o and has no forget_bias term.
 */
import * as tf from '@tensorflow/tfjs';
import { checkFits, resolveModelSettings, type ModelSettings } from '../settings';
import type { Classifier } from './classifier';

/** The LSTM state carried from one time step to the next: `c` and `h`, each `[batch, units]`. */
export interface LstmState {
  readonly c: tf.Tensor2D;
  readonly h: tf.Tensor2D;
}

/** One BasicLSTMCell step with every gate kept (after its activation): what notebook 9 draws. */
export interface LstmGates extends LstmState {
  /** Input gate sigmoid(i): how much of the candidate enters the memory. */
  readonly i: tf.Tensor2D;
  /** Candidate tanh(j): what could be written. */
  readonly j: tf.Tensor2D;
  /** Forget gate sigmoid(f + forgetBias): how much of the old memory stays. */
  readonly f: tf.Tensor2D;
  /** Output gate sigmoid(o): how much of the memory shows in h. */
  readonly o: tf.Tensor2D;
}

/**
 * One step of TF1's BasicLSTMCell, every gate kept: x `[batch, inputSize]`, state `[batch, units]`
 * each, kernel `[inputSize + units, 4 * units]` (gates i, j, f, o), bias `[4 * units]`.
 */
export function basicLstmCellGates(
  x: tf.Tensor2D,
  state: LstmState,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  forgetBias: number,
): LstmGates {
  return tf.tidy(() => {
    const gates = tf.add(tf.matMul(tf.concat([x, state.h], 1), kernel), bias); // [batch, 4 * units]
    const [iPre, jPre, fPre, oPre] = tf.split(gates, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const i = tf.sigmoid(iPre);
    const j = tf.tanh(jPre);
    const f = tf.sigmoid(tf.add(fPre, forgetBias)) as tf.Tensor2D;
    const o = tf.sigmoid(oPre);
    const c = tf.add(tf.mul(state.c, f), tf.mul(i, j)) as tf.Tensor2D;
    const h = tf.mul(tf.tanh(c), o) as tf.Tensor2D;
    return { i, j, f, o, c, h };
  });
}

/** One step of TF1's BasicLSTMCell, as `basicLstmCellGates` but keeping only the new state. */
export function basicLstmCellStep(
  x: tf.Tensor2D,
  state: LstmState,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  forgetBias: number,
): LstmState {
  return tf.tidy(() => {
    const { c, h } = basicLstmCellGates(x, state, kernel, bias, forgetBias);
    return { c, h };
  });
}

/** TF1's default variable initialiser (glorot_uniform) for a `[fanIn, fanOut]` matrix. */
function glorotUniform(shape: [number, number], seed: number): tf.Tensor2D {
  const limit = Math.sqrt(6 / (shape[0] + shape[1]));
  return tf.randomUniform(shape, -limit, limit, 'float32', seed) as tf.Tensor2D;
}

/** The basic model's four variables as plain tensors. */
export interface BasicWeights {
  /** `[inputSize + units, 4 * units]`, gates i, j, f, o. */
  readonly kernel: tf.Tensor2D;
  /** `[4 * units]`, gates i, j, f, o, without the forget bias. */
  readonly bias: tf.Tensor1D;
  /** `[units, numClasses]`. */
  readonly weightsOut: tf.Tensor2D;
  /** `[numClasses]`. */
  readonly biasesOut: tf.Tensor1D;
}

/**
 * The tutorial's initial weights for settings `s`: TF1's glorot_uniform kernel over [x, h]
 * (seed), zero bias, and `weights['out']`, `biases['out']` from N(0, 1) (seeds + 1, + 2). The
 * caller disposes them.
 */
export function tutorialInitialWeights(s: ModelSettings): BasicWeights {
  const { inputSize, units, numClasses, seed } = s;
  return {
    kernel: glorotUniform([inputSize + units, 4 * units], seed),
    bias: tf.zeros<tf.Rank.R1>([4 * units]),
    weightsOut: tf.randomNormal<tf.Rank.R2>([units, numClasses], 0, 1, 'float32', seed + 1),
    biasesOut: tf.randomNormal<tf.Rank.R1>([numClasses], 0, 1, 'float32', seed + 2),
  };
}

/** The tutorial's model with TF1 semantics; a `Classifier`, so the tutorial's loop trains it. */
export class BasicLstmClassifier implements Classifier {
  readonly name = 'TF1 BasicLSTMCell';
  /** Its settings (kind `basic`: one LSTM layer, one direction). */
  readonly settings: ModelSettings;
  /** `[inputSize + units, 4 * units]`, gates i, j, f, o. */
  readonly kernel: tf.Variable<tf.Rank.R2>;
  /** `[4 * units]`, starts at 0 like BasicLSTMCell's. */
  readonly bias: tf.Variable<tf.Rank.R1>;
  /** The tutorial's `weights['out']`, `[units, numClasses]`, `random_normal` (stddev 1) as in its code. */
  readonly weightsOut: tf.Variable<tf.Rank.R2>;
  /** The tutorial's `biases['out']`, `[numClasses]`, `random_normal` as in its code. */
  readonly biasesOut: tf.Variable<tf.Rank.R1>;

  /** Settings as `buildClassifier` takes them; `kind` is `basic` whatever is given. */
  constructor(settings: Partial<ModelSettings> = {}) {
    const s =
      settings.kind === 'basic' ? resolveModelSettings(settings) : resolveModelSettings({ ...settings, kind: 'basic' });
    checkFits(s, { backend: tf.getBackend() });
    this.settings = s;
    const start = tutorialInitialWeights(s);
    this.kernel = tf.variable(start.kernel, true, undefined, 'float32');
    this.bias = tf.variable(start.bias, true);
    this.weightsOut = tf.variable(start.weightsOut, true);
    this.biasesOut = tf.variable(start.biasesOut, true);
    // The variables hold copies of the values; the starting tensors go.
    tf.dispose(Object.values(start));
  }

  get variables(): readonly tf.Variable[] {
    return [this.kernel, this.bias, this.weightsOut, this.biasesOut];
  }

  /** Runs the cell over every step (like `static_rnn`) and returns every `h`: `timeSteps` tensors of `[batch, units]`. */
  outputs(xs: tf.Tensor3D): tf.Tensor2D[] {
    return tf.tidy(() => {
      const [batch, timeSteps] = xs.shape;
      const { units, forgetBias } = this.settings;
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
