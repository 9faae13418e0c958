import * as tf from '@tensorflow/tfjs';
import { floatType, runOp, tensorflowBackend, type TensorflowBackend } from './native-ops';

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
    throw new Error(`softmaxCrossEntropy: logits [${logits.shape}] and labels [${ys.shape}] must be the same [batch, classes] shape`);
  }
  const backend = tensorflowBackend();
  if (backend === undefined || logits.dtype !== 'float32') {
    return tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
  }
  return nativeSoftmaxCrossEntropy(backend, logits, ys);
}

function nativeSoftmaxCrossEntropy(backend: TensorflowBackend, logits: tf.Tensor2D, ys: tf.Tensor2D): tf.Scalar {
  const batch = logits.shape[0];
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [z, y, save] = args;
    if (!(z instanceof tf.Tensor && y instanceof tf.Tensor) || typeof save !== 'function') {
      throw new Error('softmaxCrossEntropy: customGrad called with unexpected arguments');
    }
    const labels = y.dtype === 'float32' ? y : tf.cast(y, 'float32');
    // Per row: the loss and its gradient with respect to the logits, softmax(z) - y.
    const [rowLoss, rowGrad] = runOp(backend, 'SoftmaxCrossEntropyWithLogits', [floatType(backend.binding)], [z, labels], 2) as [tf.Tensor, tf.Tensor];
    save([rowGrad, z]);
    return {
      value: tf.mean(rowLoss) as tf.Scalar,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]): tf.Tensor[] => {
        const [grad, zSaved] = saved as [tf.Tensor, tf.Tensor];
        const scale = tf.div(Array.isArray(dy) ? (dy[0] as tf.Tensor) : dy, batch); // d(mean)/d(row loss)
        // d/dy of -sum(y log softmax(z)) is -log softmax(z) (tfjs's own loss gives y - softmax(z) here).
        const logSoftmax = runOp(backend, 'LogSoftmax', [floatType(backend.binding)], [zSaved], 1)[0] as tf.Tensor;
        return [tf.mul(grad, scale), tf.mul(logSoftmax, tf.neg(scale))];
      },
    };
  });
  return run(logits, ys) as tf.Scalar;
}

/** Fraction of rows whose argmax matches the one-hot label (the tutorial's `accuracy`), a scalar. */
export function accuracy(logits: tf.Tensor2D, ys: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(ys, 1)), 'float32')) as tf.Scalar);
}
