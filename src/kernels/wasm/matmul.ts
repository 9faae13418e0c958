/**
 * The matmul fix: BatchMatMul / _FusedMatMul with transposed inputs, which the wasm backend runs
 * in a naive loop, as an explicit Transpose followed by the fast untransposed kernel.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend, input } from './args';

/**
 * A matmul that never reaches the naive loop: inputs flagged as transposed are transposed
 * first (rank >= 2, last two axes) by the backend's Transpose kernel, then the original
 * kernel runs with both flags false. Used for BatchMatMul and _FusedMatMul (same attrs).
 */
export function explicitTransposeMatMul(original: KernelFunc, transpose: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const transposeA = attrs?.['transposeA'] === true;
    const transposeB = attrs?.['transposeB'] === true;
    if (!transposeA && !transposeB) return original({ inputs, backend, attrs });
    const wasm = asWasmBackend(backend);
    const temporaries: TensorInfo[] = [];
    const swapLastTwo = (x: TensorInfo): TensorInfo => {
      const rank = x.shape.length;
      const perm = [...Array(rank).keys()];
      perm[rank - 2] = rank - 1;
      perm[rank - 1] = rank - 2;
      const out = transpose({ inputs: { x }, backend, attrs: { perm } });
      if (Array.isArray(out)) throw new Error('kernels/wasm: Transpose returned several tensors');
      temporaries.push(out);
      return out;
    };
    const a = input(inputs, 'a', 'BatchMatMul');
    const b = input(inputs, 'b', 'BatchMatMul');
    try {
      return original({
        inputs: { ...inputs, a: transposeA ? swapLastTwo(a) : a, b: transposeB ? swapLastTwo(b) : b },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const t of temporaries) wasm.disposeData(t.dataId);
    }
  };
}
