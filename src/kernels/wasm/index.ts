/**
 * Faster kernels for the tfjs `wasm` backend, swapped in at the kernel registry (named re-exports
 * only: the fixes are in matmul.ts, copies.ts and tanh.ts, the swapping in registry.ts).
 *
 * The wasm backend as shipped takes slow paths that have nothing to do with arithmetic
 * (measured in docs/NOTES.md, "Training speed"):
 *  - BatchMatMul / _FusedMatMul use XNNPACK only when neither input is transposed; with
 *    `transposeA` or `transposeB` (most matmuls in gradients) they fall to a naive loop,
 *    8-25x slower. Fix: transpose explicitly with the backend's own Transpose kernel, then
 *    call the original kernel with both flags false. (This also fixes a wrong result: the naive
 *    _FusedMatMul path broadcasts a rank-1 bias only over the first output row.)
 *  - Slice copies the whole input out of the wasm heap (`readSync`) for every slice, and
 *    SplitV / Unpack call it once per piece. Fix: read through a view of the heap and copy
 *    only the rows that the slice keeps. Concat (and Slice) copy each contiguous run with one
 *    `copyWithin` on the heap instead of allocating a `subarray` per row.
 *  - Tanh is ~3.5x slower than Sigmoid. Fix: tanh(x) = 2 * sigmoid(2x) - 1, exact up to
 *    rounding (absolute error ~1e-7).
 * Every model gains (LSTM, GRU, SimpleRNN, dense), not only the fused LSTM. The fixes touch
 * only kernels registered for 'wasm'; tfjs-node and cpu are left alone.
 *
 * Nothing in this folder imports the wasm package (only `backend.ts` does): it reaches the backend
 * through the `backend` argument that tfjs passes to every kernel.
 */
export {
  originalWasmKernel,
  patchWasmKernels,
  PATCHED_KERNELS,
  unpatchWasmKernels,
  wasmKernelsPatched,
} from './registry';
