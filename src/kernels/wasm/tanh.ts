/** The Tanh fix: tanh(x) = 2 * sigmoid(2x) - 1 on the backend's own Multiply, Sigmoid and Sub kernels. */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend, input } from './args';

/** Calls a kernel that returns one tensor. */
function single(kernel: KernelFunc, inputs: NamedTensorInfoMap, backend: unknown): TensorInfo {
  // Kernel functions take the backend as `{}`; it is the same object tfjs passed to us.
  const out = kernel({ inputs, backend: backend as object });
  if (Array.isArray(out)) throw new Error('kernels/wasm: expected a kernel with one output');
  return out;
}

/**
 * Tanh as 2 * sigmoid(2x) - 1 on the backend's own vectorised Multiply, Sigmoid and Sub kernels
 * (JS loops over the heap measured slower than these three calls).
 */
export function sigmoidTanh(
  original: KernelFunc,
  kernels: { multiply: KernelFunc; sigmoid: KernelFunc; sub: KernelFunc },
): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = input(inputs, 'x', 'Tanh');
    if (x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) === 0) return original({ inputs, backend, attrs });
    const wasm = asWasmBackend(backend);
    const scalar = (value: number): TensorInfo => {
      const t = wasm.makeOutput([], 'float32');
      wasm.typedArrayFromHeap(t)[0] = value;
      return t;
    };
    const two = scalar(2);
    const one = scalar(1);
    const temporaries = [two, one];
    try {
      const twoX = single(kernels.multiply, { a: x, b: two }, backend);
      temporaries.push(twoX);
      const s = single(kernels.sigmoid, { x: twoX }, backend);
      temporaries.push(s);
      const twoS = single(kernels.multiply, { a: s, b: two }, backend);
      temporaries.push(twoS);
      return single(kernels.sub, { a: twoS, b: one }, backend);
    } finally {
      for (const t of temporaries) wasm.disposeData(t.dataId);
    }
  };
}
