/**
 * The copy fixes: Slice, SplitV and Unpack read through a view of the wasm heap and copy only
 * the values they keep; Concat copies each contiguous run with one `copyWithin` on the heap.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend, input, numberAttr, numbersAttr, type WasmBackendLike } from './args';

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
function copyBox(
  src: HeapArray,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  dst: HeapArray,
): void {
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
export function viewSlice(original: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = input(inputs, 'x', 'Slice');
    if (x.dtype === 'string') return original({ inputs, backend, attrs });
    const wasm = asWasmBackend(backend);
    const [begin, size] = tf.slice_util.parseSliceParams(
      x,
      numbersAttr(attrs, 'begin', 'Slice'),
      numbersAttr(attrs, 'size', 'Slice'),
    );
    if (begin === undefined || size === undefined) throw new Error('kernels/wasm: Slice could not parse begin/size');
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
export function viewSplitV(original: KernelFunc): KernelFunc {
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
export function viewUnpack(original: KernelFunc): KernelFunc {
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
export function viewConcat(original: KernelFunc): KernelFunc {
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
