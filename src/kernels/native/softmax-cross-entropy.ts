/**
 * libtensorflow's fused softmax cross-entropy (`SoftmaxCrossEntropyWithLogits`, the op the
 * tutorial's Python calls) as a tfjs op with its gradient; `softmaxCrossEntropy` in
 * models/classifier.ts picks it on the tensorflow backend.
 */
import * as tf from '@tensorflow/tfjs';
import { floatType, runOp, type TensorflowBackend } from './ops';

/** Mean loss of logits `[batch, classes]` against labels `[batch, classes]`, computed by libtensorflow. */
export function nativeSoftmaxCrossEntropy(backend: TensorflowBackend, logits: tf.Tensor2D, ys: tf.Tensor2D): tf.Scalar {
  const batch = logits.shape[0];
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [z, y, save] = args;
    if (!(z instanceof tf.Tensor && y instanceof tf.Tensor) || typeof save !== 'function') {
      throw new Error('softmaxCrossEntropy: customGrad called with unexpected arguments');
    }
    const labels = y.dtype === 'float32' ? y : tf.cast(y, 'float32');
    // Per row: the loss and its gradient with respect to the logits, softmax(z) - y.
    const [rowLoss, rowGrad] = runOp(
      backend,
      'SoftmaxCrossEntropyWithLogits',
      [floatType(backend.binding)],
      [z, labels],
      2,
    ) as [tf.Tensor, tf.Tensor];
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
