/**
 * libtensorflow's ops, by name, through tfjs-node's op executor: for kernels tfjs does not expose
 * (the LSTM's, the fused softmax cross-entropy) and for runs of small ops that skip tfjs's
 * per-tensor bookkeeping. Nothing here imports tfjs-node: the backend is checked at run time, and
 * callers fall back to tfjs ops where `tensorflowBackend()` is undefined.
 */
import * as tf from '@tensorflow/tfjs';

/** What this project uses of tfjs-node's backend; checked at run time, never imported. */
export interface TensorflowBinding {
  executeOp(name: string, attrs: readonly OpAttr[], inputIds: readonly number[], numOutputs: number): unknown[];
  createTensor(shape: readonly number[], dtype: number, values: Int32Array): number;
  deleteTensor(id: number): void;
  readonly TF_INT64: number;
  readonly TF_INT32: number;
  readonly TF_FLOAT: number;
  readonly TF_ATTR_INT: number;
  readonly TF_ATTR_TYPE: number;
  readonly TF_ATTR_FLOAT: number;
  readonly TF_ATTR_BOOL: number;
  /** libtensorflow's version, e.g. `2.21.0`. */
  readonly TF_Version?: unknown;
}
export interface OpAttr {
  readonly name: string;
  readonly type: number;
  readonly value: number | boolean;
}
export interface TensorflowBackend {
  readonly binding: TensorflowBinding;
  getInputTensorIds(tensors: readonly tf.Tensor[]): number[];
  createOutputTensor(metadata: unknown): tf.Tensor;
}

function isTensorflowBackend(backend: unknown): backend is TensorflowBackend {
  if (typeof backend !== 'object' || backend === null) return false;
  const b = backend as Partial<Record<keyof TensorflowBackend, unknown>>;
  const binding = b.binding as Partial<Record<keyof TensorflowBinding, unknown>> | undefined;
  return (
    typeof b.getInputTensorIds === 'function' &&
    typeof b.createOutputTensor === 'function' &&
    typeof binding === 'object' &&
    binding !== null &&
    typeof binding.executeOp === 'function' &&
    typeof binding.createTensor === 'function' &&
    typeof binding.deleteTensor === 'function'
  );
}

/** The active backend's op executor, if it is tfjs-node's. */
export function tensorflowBackend(): TensorflowBackend | undefined {
  if (tf.getBackend() !== 'tensorflow') return undefined;
  const backend: unknown = tf.backend();
  return isTensorflowBackend(backend) ? backend : undefined;
}

/** The version of the libtensorflow that tfjs-node runs on (e.g. `2.21.0`), or undefined when tensorflow is not the active backend. */
export function libtensorflowVersion(): string | undefined {
  const version = tensorflowBackend()?.binding.TF_Version;
  return typeof version === 'string' ? version : undefined;
}

/**
 * Runs libtensorflow op `name` on `inputs`, returning `numOutputs` tfjs tensors (tracked like any
 * op's outputs). `seqLenMax` prepends the int64 scalar input the BlockLSTM ops take first, which
 * tfjs has no dtype for: it is made in libtensorflow directly and freed after the call.
 */
export function runOp(
  backend: TensorflowBackend,
  name: string,
  attrs: readonly OpAttr[],
  inputs: readonly tf.Tensor[],
  numOutputs: number,
  seqLenMax?: number,
): tf.Tensor[] {
  const { binding } = backend;
  // An int64 is two int32 words, low first (tfjs-node's Int64Scalar, little-endian only).
  const lengthId =
    seqLenMax === undefined ? undefined : binding.createTensor([], binding.TF_INT64, new Int32Array([seqLenMax, 0]));
  try {
    const ids = [...(lengthId === undefined ? [] : [lengthId]), ...backend.getInputTensorIds(inputs)];
    return binding.executeOp(name, attrs, ids, numOutputs).map((metadata) => backend.createOutputTensor(metadata));
  } finally {
    if (lengthId !== undefined) binding.deleteTensor(lengthId);
  }
}

/** libtensorflow's MatMul on two 2-D tfjs tensors (tfjs's matMul runs BatchMatMulV2, slower on these shapes). */
export function matMul(
  backend: TensorflowBackend,
  a: tf.Tensor,
  b: tf.Tensor,
  transposeA: boolean,
  transposeB: boolean,
): tf.Tensor {
  return runOp(backend, 'MatMul', matMulAttrs(backend.binding, transposeA, transposeB), [a, b], 1)[0] as tf.Tensor;
}

function matMulAttrs(b: TensorflowBinding, transposeA: boolean, transposeB: boolean): OpAttr[] {
  return [
    { name: 'transpose_a', type: b.TF_ATTR_BOOL, value: transposeA },
    { name: 'transpose_b', type: b.TF_ATTR_BOOL, value: transposeB },
    floatType(b),
  ];
}

/** What `executeOp` returns for each output: libtensorflow's handle id, until wrapped or deleted. */
interface OutputMetadata {
  readonly id: number;
}

function isOutputMetadata(m: unknown): m is OutputMetadata {
  return typeof m === 'object' && m !== null && typeof (m as { id?: unknown }).id === 'number';
}

/**
 * Ops run on libtensorflow handles directly, for loops of small ops: wrapping every intermediate as
 * a tfjs tensor costs more than many such ops (the engine's bookkeeping per tensor). Only what
 * `keep` returns becomes a tfjs tensor; every other handle made in `run` is deleted when it ends,
 * thrown or not.
 */
export class OpScope {
  private readonly made = new Map<number, unknown>();
  private readonly b: TensorflowBinding;

  constructor(private readonly backend: TensorflowBackend) {
    this.b = backend.binding;
  }

  run<T>(body: (ops: OpScope) => T): T {
    try {
      return body(this);
    } finally {
      for (const id of this.made.keys()) this.b.deleteTensor(id);
      this.made.clear();
    }
  }

  /** The handle as a tfjs tensor, which then owns it. */
  keep(id: number): tf.Tensor {
    const metadata = this.made.get(id);
    if (metadata === undefined) throw new Error(`native op: handle ${id} was not made here`);
    this.made.delete(id);
    return this.backend.createOutputTensor(metadata);
  }

  /** Runs op `name` on handles; its outputs are this scope's until kept or dropped. */
  exec(name: string, attrs: readonly OpAttr[], inputIds: readonly number[], numOutputs: number): number[] {
    return this.b.executeOp(name, attrs, inputIds, numOutputs).map((m) => {
      if (!isOutputMetadata(m)) throw new Error(`native op ${name} returned no tensor handle`);
      this.made.set(m.id, m);
      return m.id;
    });
  }

  /** The `num` slices of a [num, ...] tensor along axis 0. */
  unstack(id: number, num: number): number[] {
    const attrs = [
      { name: 'num', type: this.b.TF_ATTR_INT, value: num },
      floatType(this.b),
      { name: 'axis', type: this.b.TF_ATTR_INT, value: 0 },
    ];
    return this.exec('Unpack', attrs, [id], num);
  }

  add(a: number, b: number): number {
    return this.exec('AddV2', [floatType(this.b)], [a, b], 1)[0] as number;
  }

  matMul(a: number, b: number, transposeA: boolean, transposeB: boolean): number {
    return this.exec('MatMul', matMulAttrs(this.b, transposeA, transposeB), [a, b], 1)[0] as number;
  }

  /** Deletes handles made here that are no longer needed, before the scope ends. */
  drop(ids: readonly number[]): void {
    for (const id of ids) {
      if (this.made.delete(id)) this.b.deleteTensor(id);
    }
  }

  /** The tensors joined along axis 0 (ConcatV2 takes two or more; one is returned as it is). */
  concat(ids: readonly number[]): number {
    if (ids.length === 1) return ids[0] as number;
    const axis = this.b.createTensor([], this.b.TF_INT32, new Int32Array([0]));
    try {
      const attrs = [
        { name: 'N', type: this.b.TF_ATTR_INT, value: ids.length },
        floatType(this.b),
        { name: 'Tidx', type: this.b.TF_ATTR_TYPE, value: this.b.TF_INT32 },
      ];
      return this.exec('ConcatV2', attrs, [...ids, axis], 1)[0] as number;
    } finally {
      this.b.deleteTensor(axis);
    }
  }
}

export function floatType(b: TensorflowBinding): OpAttr {
  return { name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT };
}
