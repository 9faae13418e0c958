import * as tf from '@tensorflow/tfjs';
import { tensorflowBackend } from '../kernels/native/ops';
import { nativeSoftmaxCrossEntropy } from '../kernels/native/softmax-cross-entropy';

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

/**
 * Mean softmax cross-entropy of logits `[batch, classes]` against one-hot `ys [batch, classes]`
 * (the tutorial's `cost`), a scalar: `tf.losses.softmaxCrossEntropy(ys, logits)`. On the
 * tensorflow backend it is libtensorflow's fused `SoftmaxCrossEntropyWithLogits` (TF's own
 * `softmax_cross_entropy_with_logits`, the op the tutorial's Python calls): one op forward and a
 * few back, where tfjs's composition takes about forty small ops. The same value and gradients
 * within float32 rounding (tested against tfjs's and a float64 reference).
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, ys: tf.Tensor2D): tf.Scalar {
  if (logits.rank !== 2 || ys.rank !== 2 || logits.shape[0] !== ys.shape[0] || logits.shape[1] !== ys.shape[1]) {
    throw new Error(
      `softmaxCrossEntropy: logits [${logits.shape}] and labels [${ys.shape}] must be the same [batch, classes] shape`,
    );
  }
  const backend = tensorflowBackend();
  if (backend === undefined || logits.dtype !== 'float32') {
    return tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
  }
  return nativeSoftmaxCrossEntropy(backend, logits, ys);
}
