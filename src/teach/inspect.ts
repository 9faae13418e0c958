/**
 * Looking inside the tutorial's BasicLSTMCell while it reads a digit: every gate and state at every time step,
 * and the answer it would give after each row. Notebook 9 draws these; notebook 7 derives the
 * equations they come from.
 */
import * as tf from '@tensorflow/tfjs';
import { basicLstmCellGates, type BasicLstmClassifier, type LstmState } from '../models';

/** Every gate (after its activation) and state of a BasicLSTMCell at every step, each `[batch, steps, units]`. */
export interface LstmTrace {
  /** Input gate sigmoid(i): how much of the candidate enters the memory. */
  readonly i: tf.Tensor3D;
  /** Candidate tanh(j): what could be written. */
  readonly j: tf.Tensor3D;
  /** Forget gate sigmoid(f + forgetBias): how much of the old memory stays. */
  readonly f: tf.Tensor3D;
  /** Output gate sigmoid(o): how much of the memory shows in h. */
  readonly o: tf.Tensor3D;
  /** Memory (cell state) c_t. */
  readonly c: tf.Tensor3D;
  /** Output (hidden state) h_t, what the next step and the output layer see. */
  readonly h: tf.Tensor3D;
}

/** The names of an `LstmTrace`'s tensors, in the order the cell computes them. */
export const LSTM_TRACE_NAMES = ['i', 'j', 'f', 'o', 'c', 'h'] as const;

/**
 * Runs the BasicLSTMCell over `xs [batch, steps, inputSize]` and keeps every gate and state
 * (`basicLstmCellGates`, the cell's own step). The caller disposes the trace.
 */
export function traceBasicLstm(model: BasicLstmClassifier, xs: tf.Tensor3D): LstmTrace {
  return tf.tidy(() => {
    const [batch, steps] = xs.shape;
    const { units, forgetBias } = model.settings;
    const rows = tf.unstack(xs, 1) as tf.Tensor2D[];
    let state: LstmState = { c: tf.zeros([batch, units]), h: tf.zeros([batch, units]) };
    const kept: Record<(typeof LSTM_TRACE_NAMES)[number], tf.Tensor2D[]> = { i: [], j: [], f: [], o: [], c: [], h: [] };
    for (let t = 0; t < steps; t++) {
      const step = basicLstmCellGates(rows[t] as tf.Tensor2D, state, model.kernel, model.bias, forgetBias);
      for (const name of LSTM_TRACE_NAMES) kept[name].push(step[name]);
      state = step;
    }
    const stack = (list: tf.Tensor2D[]): tf.Tensor3D => tf.stack(list, 1) as tf.Tensor3D;
    return {
      i: stack(kept.i),
      j: stack(kept.j),
      f: stack(kept.f),
      o: stack(kept.o),
      c: stack(kept.c),
      h: stack(kept.h),
    };
  });
}

/** Frees every tensor of a trace. */
export function disposeTrace(trace: LstmTrace): void {
  tf.dispose(LSTM_TRACE_NAMES.map((name) => trace[name]));
}

/**
 * The class probabilities the model would give if the digit ended after row t, for every t:
 * softmax(h_t · weights.out + biases.out), `[batch, steps, numClasses]`. The last step is the
 * model's real answer. The caller disposes the result.
 */
export function stepProbabilities(model: BasicLstmClassifier, xs: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const hs = tf.stack(model.outputs(xs), 1) as tf.Tensor3D; // [batch, steps, units]
    const [batch, steps, units] = hs.shape;
    const logits = tf.add(tf.matMul(tf.reshape(hs, [batch * steps, units]), model.weightsOut), model.biasesOut);
    return tf.reshape(tf.softmax(logits), [batch, steps, model.weightsOut.shape[1]]) as tf.Tensor3D;
  });
}

/** One example's `[steps, units]` slice of a `[batch, steps, units]` tensor, as rows for a heatmap. [steps][units] */
export function exampleRows(values: tf.Tensor3D, example: number): number[][] {
  const [batch] = values.shape;
  if (!Number.isInteger(example) || example < 0 || example >= batch) {
    throw new Error(`exampleRows: example ${example} is outside 0..${batch - 1}`);
  }
  return tf.tidy(() => tf.squeeze(tf.slice(values, [example, 0, 0], [1, -1, -1]), [0]).arraySync() as number[][]);
}
