/**
 * What a replacement kernel receives, checked: the backend (as the three methods of the wasm
 * backend that the fixes call), named inputs, and number attributes.
 */
import type * as tf from '@tensorflow/tfjs';
import type { DataId, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

/** The three methods of tfjs-backend-wasm's `BackendWasm` that the fixes call. */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: DataId): boolean;
}

export function asWasmBackend(backend: unknown): WasmBackendLike {
  if (
    typeof backend === 'object' &&
    backend !== null &&
    'makeOutput' in backend &&
    'typedArrayFromHeap' in backend &&
    'disposeData' in backend
  ) {
    // Narrow cast: the three members we call were checked just above.
    return backend as WasmBackendLike;
  }
  throw new Error('kernels/wasm: the kernel was called with a backend that is not tfjs-backend-wasm');
}

export function input(inputs: NamedTensorInfoMap, name: string, kernel: string): TensorInfo {
  const t = inputs[name];
  if (t === undefined) throw new Error(`kernels/wasm: ${kernel} called without input "${name}"`);
  return t;
}

export function numberAttr(attrs: NamedAttrMap | undefined, name: string, kernel: string): number {
  const v = attrs?.[name];
  if (typeof v !== 'number')
    throw new Error(`kernels/wasm: ${kernel} expected a number attribute "${name}", got ${String(v)}`);
  return v;
}

export function numbersAttr(attrs: NamedAttrMap | undefined, name: string, kernel: string): number | number[] {
  const v = attrs?.[name];
  if (typeof v === 'number') return v;
  if (Array.isArray(v)) {
    const values: unknown[] = v;
    if (values.every((e): e is number => typeof e === 'number')) return values;
  }
  throw new Error(`kernels/wasm: ${kernel} expected number(s) for attribute "${name}", got ${String(v)}`);
}
