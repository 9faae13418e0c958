/**
 * The matmul fix on the tensorflow backend: tfjs's BatchMatMul of two 2-D float tensors runs as
 * libtensorflow's `MatMul` instead of `BatchMatMulV2`.
 *
 * Measured on the dense layer's three products per training step ([128,128] x [128,10] and its
 * gradients; 2-core AMD EPYC, libtensorflow 2.21): 0.50 ms and ~25 page faults a step as
 * `BatchMatMulV2`, whose oneDNN matmul builds (JIT-compiles into fresh memory) its kernels again
 * on many calls; 0.17 ms and ~8 faults as `MatMul`, which runs oneDNN's prebuilt sgemm. Batched
 * (3-D and up) products keep the original kernel. `_FusedMatMul` on tfjs-node calls tfjs's
 * matMul, so dense layers with a bias take this path too.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { matMul, type TensorflowBackend } from './ops';

let original: KernelConfig | undefined;

/** Puts the MatMul path in front of tfjs-node's BatchMatMul kernel (once; later calls do nothing). */
export function patchTensorflowMatMul(backend: TensorflowBackend): void {
  if (original !== undefined) return;
  const stock = tf.getKernel('BatchMatMul', 'tensorflow');
  if (stock === undefined) return;
  original = stock;
  const kernelFunc: KernelFunc = (args) => {
    const { a, b } = args.inputs as { a?: TensorInfo; b?: TensorInfo };
    if (
      a !== undefined &&
      b !== undefined &&
      a.shape.length === 2 &&
      b.shape.length === 2 &&
      a.dtype === 'float32' &&
      b.dtype === 'float32'
    ) {
      return matMul(
        backend,
        a as tf.Tensor,
        b as tf.Tensor,
        args.attrs?.['transposeA'] === true,
        args.attrs?.['transposeB'] === true,
      );
    }
    return stock.kernelFunc(args);
  };
  tf.unregisterKernel('BatchMatMul', 'tensorflow');
  tf.registerKernel({ ...stock, kernelFunc });
}

/** Puts tfjs-node's own BatchMatMul kernel back (for measuring the difference). */
export function unpatchTensorflowMatMul(): void {
  if (original === undefined) return;
  tf.unregisterKernel('BatchMatMul', 'tensorflow');
  tf.registerKernel(original);
  original = undefined;
}

/** True while the MatMul path is in front of BatchMatMul. */
export function tensorflowMatMulPatched(): boolean {
  return original !== undefined;
}
