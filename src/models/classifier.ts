import * as tf from '@tensorflow/tfjs';

/**
 * What the training loop needs from a model: logits for a batch of sequences and the variables
 * the optimiser updates. Both the tutorial's hand-written LSTM and tf.layers models fit it, so one
 * loop (the tutorial's) trains either.
 */
export interface Classifier {
  /** A short name for logs, e.g. `TF1 BasicLSTMCell` or `fused LSTM`. */
  readonly name: string;
  /** Logits `[batch, numClasses]` for `xs [batch, timeSteps, inputSize]`; `training` matters for layers with dropout. */
  predict(xs: tf.Tensor3D, training?: boolean): tf.Tensor2D;
  /** The trainable variables, in a fixed order. */
  readonly variables: readonly tf.Variable[];
  /** Frees the variables. */
  dispose(): void;
}

/** Mean softmax cross-entropy of logits `[batch, classes]` against one-hot `ys [batch, classes]` (the tutorial's `cost`), a scalar. */
export function softmaxCrossEntropy(logits: tf.Tensor2D, ys: tf.Tensor2D): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
}

/** Fraction of rows whose argmax matches the one-hot label (the tutorial's `accuracy`), a scalar. */
export function accuracy(logits: tf.Tensor2D, ys: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(ys, 1)), 'float32')) as tf.Scalar);
}
