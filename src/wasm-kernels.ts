/**
 * Faster kernels for the tfjs `wasm` backend, swapped in at the kernel registry.
 *
 * The wasm backend as shipped takes slow paths that have nothing to do with arithmetic
 * (measured in docs/FINDINGS.md, "Training speed"):
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
 * This file never imports the wasm package (only `backend.ts` does): it reaches the backend
 * through the `backend` argument that tfjs passes to every kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataId, KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

const BACKEND = 'wasm';

/** The kernels this module replaces, in the order they are patched. */
export const PATCHED_KERNELS: readonly string[] = ['BatchMatMul', '_FusedMatMul', 'Slice', 'SplitV', 'Unpack', 'Concat', 'Tanh'];

// Marks on our kernel functions. Symbol.for, not a module-local Symbol, so that a second copy
// of this module (e.g. `src/` under tsx and `dist/` in one process) sees the patch and the
// originals instead of wrapping the wrappers.
const PATCHED = Symbol.for('rnn-notebooks.wasm-kernels.patched');
const ORIGINAL = Symbol.for('rnn-notebooks.wasm-kernels.original');

type MarkedKernelFunc = KernelFunc & { [PATCHED]?: true; [ORIGINAL]?: KernelConfig };

/** The three methods of tfjs-backend-wasm's `BackendWasm` that the fixes call. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: DataId): boolean;
}

function asWasmBackend(backend: unknown): WasmBackendLike {
  if (
    typeof backend === 'object' && backend !== null &&
    'makeOutput' in backend && 'typedArrayFromHeap' in backend && 'disposeData' in backend
  ) {
    // Narrow cast: the three members we call were checked just above.
    return backend as WasmBackendLike;
  }
  throw new Error('wasm-kernels: the kernel was called with a backend that is not tfjs-backend-wasm');
}

function registered(name: string): KernelConfig {
  const config = tf.getKernel(name, BACKEND);
  if (config === undefined) {
    throw new Error(`wasm-kernels: kernel "${name}" is not registered for "${BACKEND}"; load the wasm backend first (setupBackend({ backend: 'wasm' }))`);
  }
  return config;
}

function isPatched(config: KernelConfig | undefined): boolean {
  return config !== undefined && (config.kernelFunc as MarkedKernelFunc)[PATCHED] === true;
}

function input(inputs: NamedTensorInfoMap, name: string, kernel: string): TensorInfo {
  const t = inputs[name];
  if (t === undefined) throw new Error(`wasm-kernels: ${kernel} called without input "${name}"`);
  return t;
}

function numberAttr(attrs: NamedAttrMap | undefined, name: string, kernel: string): number {
  const v = attrs?.[name];
  if (typeof v !== 'number') throw new Error(`wasm-kernels: ${kernel} expected a number attribute "${name}", got ${String(v)}`);
  return v;
}

function numbersAttr(attrs: NamedAttrMap | undefined, name: string, kernel: string): number | number[] {
  const v = attrs?.[name];
  if (typeof v === 'number') return v;
  if (Array.isArray(v)) {
    const values: unknown[] = v;
    if (values.every((e): e is number => typeof e === 'number')) return values;
  }
  throw new Error(`wasm-kernels: ${kernel} expected number(s) for attribute "${name}", got ${String(v)}`);
}

/**
 * A matmul that never reaches the naive loop: inputs flagged as transposed are transposed
 * first (rank >= 2, last two axes) by the backend's Transpose kernel, then the original
 * kernel runs with both flags false. Used for BatchMatMul and _FusedMatMul (same attrs).
 */
function explicitTransposeMatMul(original: KernelFunc, transpose: KernelFunc): KernelFunc {
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
      if (Array.isArray(out)) throw new Error('wasm-kernels: Transpose returned several tensors');
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

type HeapArray = Float32Array | Int32Array | Uint8Array;

/** A view of the whole wasm memory with `view`'s element type, and `view`'s offset in it. */
function wholeHeap(view: HeapArray): [HeapArray, number] {
  const offset = view.byteOffset / view.BYTES_PER_ELEMENT;
  if (view instanceof Float32Array) return [new Float32Array(view.buffer), offset];
  if (view instanceof Int32Array) return [new Int32Array(view.buffer), offset];
  return [new Uint8Array(view.buffer), offset];
}

/**
 * Copies the box `begin`..`begin + size` of `src` (row-major, `shape`) into `dst`; both are
 * views of the wasm heap. Trailing axes that the box spans whole merge into one contiguous run,
 * so slicing [batch, steps, features] along `steps` copies `batch` runs of `features` values.
 * Each run is one `copyWithin` on the heap (a memmove, no per-run allocation).
 */
function copyBox(src: HeapArray, shape: readonly number[], begin: readonly number[], size: readonly number[], dst: HeapArray): void {
  const [heap, srcBase] = wholeHeap(src);
  const dstBase = dst.byteOffset / dst.BYTES_PER_ELEMENT;
  const rank = shape.length;
  if (rank === 0) {
    heap.copyWithin(dstBase, srcBase, srcBase + 1);
    return;
  }
  const strides = tf.util.computeStrides([...shape]);
  const stride = (axis: number): number => (axis === rank - 1 ? 1 : (strides[axis] ?? 0));
  // The innermost axes form one run while the box covers them fully; the first axis (from the
  // right) that it does not cover still belongs to the run, as its outermost, partial factor.
  let runAxis = rank - 1;
  let run = size[rank - 1] ?? 1;
  while (runAxis > 0 && size[runAxis] === shape[runAxis]) {
    runAxis--;
    run *= size[runAxis] ?? 1;
  }
  let from = srcBase;
  for (let axis = 0; axis < rank; axis++) from += (begin[axis] ?? 0) * stride(axis);
  // Odometer over the outer axes 0..runAxis-1 (none when runAxis is 0: a single run).
  const index = new Array<number>(runAxis).fill(0);
  const outer = size.slice(0, runAxis).reduce((p, s) => p * s, 1);
  let to = dstBase;
  for (let n = 0; n < outer; n++) {
    heap.copyWithin(to, from, from + run);
    to += run;
    for (let axis = runAxis - 1; axis >= 0; axis--) {
      const i = (index[axis] ?? 0) + 1;
      const st = stride(axis);
      if (i < (size[axis] ?? 1)) {
        index[axis] = i;
        from += st;
        break;
      }
      index[axis] = 0;
      from -= (i - 1) * st;
    }
  }
}

/** Slice through a heap view: copies only the kept values. Strings go to the original. */
function viewSlice(original: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = input(inputs, 'x', 'Slice');
    if (x.dtype === 'string') return original({ inputs, backend, attrs });
    const wasm = asWasmBackend(backend);
    const [begin, size] = tf.slice_util.parseSliceParams(x, numbersAttr(attrs, 'begin', 'Slice'), numbersAttr(attrs, 'size', 'Slice'));
    if (begin === undefined || size === undefined) throw new Error('wasm-kernels: Slice could not parse begin/size');
    return sliceInto(wasm, x, begin, size);
  };
}

function sliceInto(wasm: WasmBackendLike, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const out = wasm.makeOutput(size, x.dtype);
  if (tf.util.sizeFromShape(size) === 0) return out;
  // Views are taken after makeOutput: allocating can grow the wasm memory, which detaches
  // views taken before.
  copyBox(wasm.typedArrayFromHeap(x), x.shape, begin, size, wasm.typedArrayFromHeap(out));
  return out;
}

/** SplitV as one view-based slice per piece. */
function viewSplitV(original: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = input(inputs, 'x', 'SplitV');
    if (x.dtype === 'string') return original({ inputs, backend, attrs });
    const wasm = asWasmBackend(backend);
    const axis = tf.util.parseAxisParam(numberAttr(attrs, 'axis', 'SplitV'), x.shape)[0] ?? 0;
    const sizes = tf.backend_util.prepareSplitSize(x, numbersAttr(attrs, 'numOrSizeSplits', 'SplitV'), axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[axis] = s;
      const piece = sliceInto(wasm, x, [...begin], size);
      begin[axis] = (begin[axis] ?? 0) + s;
      return piece;
    });
  };
}

/** Unpack as one view-based slice per index along `axis`, each reshaped to drop that axis. */
function viewUnpack(original: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const value = input(inputs, 'value', 'Unpack');
    if (value.dtype === 'string') return original({ inputs, backend, attrs });
    const wasm = asWasmBackend(backend);
    const rank = value.shape.length;
    let axis = numberAttr(attrs, 'axis', 'Unpack');
    if (axis < 0) axis += rank;
    const count = value.shape[axis] ?? 0;
    const outShape = value.shape.filter((_, i) => i !== axis);
    const size = [...value.shape];
    size[axis] = 1;
    const begin = new Array<number>(rank).fill(0);
    const pieces: TensorInfo[] = [];
    for (let i = 0; i < count; i++) {
      begin[axis] = i;
      const piece = sliceInto(wasm, value, begin, size);
      // Same data, shape without the unpacked axis (as the original kernel does).
      pieces.push({ dataId: piece.dataId, dtype: piece.dtype, shape: outShape });
    }
    return pieces;
  };
}

/**
 * Concat with one heap `copyWithin` per (outer index, input) instead of a `subarray` + `set`
 * pair: concatenating along axis 1 copies many short rows, where those allocations dominate.
 */
function viewConcat(original: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    // Concat receives its inputs as an array ('0', '1', ... in order).
    const all = Object.values(inputs).filter((t): t is TensorInfo => t !== undefined);
    const first = all[0];
    if (first === undefined || first.dtype === 'string') return original({ inputs, backend, attrs });
    const axis = tf.util.parseAxisParam(numberAttr(attrs, 'axis', 'Concat'), first.shape)[0] ?? 0;
    const shapes = all.map((t) => t.shape);
    tf.backend_util.assertParamsConsistent(shapes, axis);
    const pieces = all.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    // One non-empty input is a copy-free identity in the original kernel.
    if (pieces.length <= 1) return original({ inputs, backend, attrs });
    const wasm = asWasmBackend(backend);
    const out = wasm.makeOutput(tf.backend_util.computeOutShape(shapes, axis), first.dtype);
    const outer = tf.util.sizeFromShape(first.shape.slice(0, axis));
    const inner = pieces.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)));
    // Views after makeOutput (allocation can move the heap).
    const [heap, outBase] = wholeHeap(wasm.typedArrayFromHeap(out));
    const bases = pieces.map((t) => wholeHeap(wasm.typedArrayFromHeap(t))[1]);
    let to = outBase;
    for (let b = 0; b < outer; b++) {
      for (let i = 0; i < pieces.length; i++) {
        const n = inner[i] ?? 0;
        const from = (bases[i] ?? 0) + b * n;
        heap.copyWithin(to, from, from + n);
        to += n;
      }
    }
    return out;
  };
}

/** Calls a kernel that returns one tensor. */
function single(kernel: KernelFunc, inputs: NamedTensorInfoMap, backend: unknown): TensorInfo {
  // Kernel functions take the backend as `{}`; it is the same object tfjs passed to us.
  const out = kernel({ inputs, backend: backend as object });
  if (Array.isArray(out)) throw new Error('wasm-kernels: expected a kernel with one output');
  return out;
}

/**
 * Tanh as 2 * sigmoid(2x) - 1 on the backend's own vectorised Multiply, Sigmoid and Sub kernels
 * (JS loops over the heap measured slower than these three calls).
 */
function sigmoidTanh(original: KernelFunc, kernels: { multiply: KernelFunc; sigmoid: KernelFunc; sub: KernelFunc }): KernelFunc {
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

function replace(name: string, make: (original: KernelFunc) => KernelFunc): void {
  const original = registered(name);
  const kernelFunc: MarkedKernelFunc = make(original.kernelFunc);
  kernelFunc[PATCHED] = true;
  kernelFunc[ORIGINAL] = original;
  tf.unregisterKernel(name, BACKEND);
  // setupFunc/disposeFunc stay: they initialise the wasm functions that the original uses,
  // and tfjs calls them again whenever the wasm backend is (re)initialised.
  tf.registerKernel({ ...original, kernelFunc });
}

/**
 * Replaces the wasm backend's slow BatchMatMul/_FusedMatMul (transposed inputs), Slice,
 * SplitV, Unpack, Concat and Tanh kernels with faster equivalents. Idempotent; touches only 'wasm'
 * kernels; call after the wasm backend is loaded (setupBackend).
 */
export function patchWasmKernels(): void {
  if (wasmKernelsPatched()) return;
  // Resolve every kernel first so that a missing one leaves the registry untouched.
  for (const name of [...PATCHED_KERNELS, 'Transpose', 'Sigmoid', 'Multiply', 'Sub']) registered(name);
  const transpose = registered('Transpose').kernelFunc;
  const arithmetic = {
    multiply: registered('Multiply').kernelFunc,
    sigmoid: registered('Sigmoid').kernelFunc,
    sub: registered('Sub').kernelFunc,
  };
  for (const name of PATCHED_KERNELS) {
    if (isPatched(tf.getKernel(name, BACKEND))) continue;
    switch (name) {
      case 'BatchMatMul':
      case '_FusedMatMul':
        replace(name, (original) => explicitTransposeMatMul(original, transpose));
        break;
      case 'Slice':
        replace(name, viewSlice);
        break;
      case 'SplitV':
        replace(name, viewSplitV);
        break;
      case 'Unpack':
        replace(name, viewUnpack);
        break;
      case 'Concat':
        replace(name, viewConcat);
        break;
      case 'Tanh':
        replace(name, (original) => sigmoidTanh(original, arithmetic));
        break;
      default:
        throw new Error(`wasm-kernels: no fix for kernel "${name}"`);
    }
  }
}

/** True when the wasm kernel fixes are registered (by this or another copy of this module). */
export function wasmKernelsPatched(): boolean {
  return PATCHED_KERNELS.every((name) => isPatched(tf.getKernel(name, BACKEND)));
}

/** Puts the original wasm kernels back (for tests and the benchmark's "stock" rows). */
export function unpatchWasmKernels(): void {
  for (const name of PATCHED_KERNELS) {
    const config = tf.getKernel(name, BACKEND);
    const original = config === undefined ? undefined : (config.kernelFunc as MarkedKernelFunc)[ORIGINAL];
    if (original === undefined) continue;
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel(original);
  }
}

/** The kernel that `patchWasmKernels` replaced for `name`, or undefined if it is not patched. */
export function originalWasmKernel(name: string): KernelConfig | undefined {
  const config = tf.getKernel(name, BACKEND);
  return config === undefined ? undefined : (config.kernelFunc as MarkedKernelFunc)[ORIGINAL];
}
