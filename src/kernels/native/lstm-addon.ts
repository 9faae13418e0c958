/**
 * The fused LSTM on this project's own CPU kernel (native/lstm/, a Node-API addon that
 * `npm run native` builds beside tfjs-node): the same function, weights and contract as
 * `fusedLstmSequence`, with the forward pass one call and the backward pass another.
 *
 * Why its own kernel: libtensorflow runs the sequence as dozens of eager ops on one thread (more
 * threads cost more in hand-overs than they gave, docs/NOTES.md), and its per-step matmuls run
 * below the core's peak. Rows of a batch never meet inside an LSTM, so the addon splits the batch
 * over the cores and each thread runs the whole sequence for its rows with no hand-over per step;
 * the threads meet once more for the weight gradients. Register-tiled matmuls and vectorised
 * sigmoid/tanh (native/lstm/kernel.cc) do the arithmetic.
 *
 * Used on the tensorflow backend when the addon is built; `RNN_LSTM_KERNEL=0` turns it off
 * (libtensorflow's kernels then run, native/lstm-sequence.ts), `RNN_LSTM_THREADS=n` caps its
 * threads. Tensors cross as Float32Arrays: x, the weights and dL/dh in; h and the gradients out.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { linkInput, tokenGradient } from '../input-link';
import { lstmShapes } from '../lstm-sequence';
import { nativeLstmAvailable } from './lstm-sequence';
import { floatType, runOp, tensorflowBackend } from './ops';

/** What the forward pass leaves for the backward pass, owned by the addon. */
type AddonState = { readonly __lstmState: unique symbol };

interface LstmAddon {
  /**
   * x [B,T,D], kernel [D, 4U], recurrentKernel [U, 4U], bias [4U]; writes h ([B,U], or [B,T,U]
   * when h has that length) and returns the state the backward pass needs if `keep`.
   */
  forward(
    x: Float32Array,
    kernel: Float32Array,
    recurrentKernel: Float32Array,
    bias: Float32Array,
    dims: readonly [number, number, number, number],
    keep: boolean,
    h: Float32Array,
  ): AddonState | undefined;
  /** Writes dL/dw [D+U, 4U] and dL/dbias [4U] from dL/dh (last step [B,U], or every step [B,T,U]). */
  backward(
    state: AddonState,
    dhLast: Float32Array | null,
    dhSeq: Float32Array | null,
    dw: Float32Array,
    dbias: Float32Array,
  ): void;
  /** Writes dL/dx [B,T,D], after backward. */
  inputGradient(state: AddonState, dx: Float32Array): void;
  /** Returns the state's memory to the addon; later use of the state throws. */
  release(state: AddonState): void;
  /** Caps the threads (n < 1: one per available core); returns the cap. */
  setThreads(n: number): number;
  /** The threads a call splits its work over. */
  threads(): number;
  /** States kept by forward passes and not yet released (or collected). */
  liveStates(): number;
  /** The instruction set the addon picked: avx512, avx2 or baseline. */
  readonly isa: string;
}

/** `0` computes the fused LSTM on libtensorflow's kernels even where the addon is built. */
export const LSTM_KERNEL_ENV_VAR = 'RNN_LSTM_KERNEL';
/** Caps the addon's threads (default: one per core this process may run on). */
export const LSTM_THREADS_ENV_VAR = 'RNN_LSTM_THREADS';

/** Where `npm run native` puts the addon: native/lstm/build/ at the package root (src/ and dist/ are both 3 levels below). */
export const LSTM_ADDON_PATH = join(__dirname, '..', '..', '..', 'native', 'lstm', 'build', 'lstm.node');

let loaded: { addon: LstmAddon | undefined; error: string | undefined } | undefined;

function load(): { addon: LstmAddon | undefined; error: string | undefined } {
  if (loaded !== undefined) return loaded;
  try {
    const addon = createRequire(__filename)(LSTM_ADDON_PATH) as LstmAddon;
    const cap = Number(process.env[LSTM_THREADS_ENV_VAR]);
    if (Number.isInteger(cap) && cap >= 1) addon.setThreads(cap);
    loaded = { addon, error: undefined };
  } catch (e) {
    loaded = { addon: undefined, error: e instanceof Error ? e.message.split('\n')[0] : String(e) };
  }
  return loaded;
}

/** The addon when it is built and loads, else undefined (see `lstmAddonProblem` for why). */
export function lstmAddon(): LstmAddon | undefined {
  return load().addon;
}

/** Why the addon did not load (not built: `npm run native`), or undefined when it did. */
export function lstmAddonProblem(): string | undefined {
  return load().error;
}

/** True when the fused LSTM runs on the addon: it is built, the backend is tensorflow, and `RNN_LSTM_KERNEL` is not 0. */
export function lstmAddonInUse(): boolean {
  return process.env[LSTM_KERNEL_ENV_VAR] !== '0' && tf.getBackend() === 'tensorflow' && lstmAddon() !== undefined;
}

/**
 * Which kernels compute the fused LSTM on the active backend, for backend lines and the bench:
 * `addon (avx512, 2 threads)`, `libtensorflow's ops`, or `tfjs ops`.
 */
export function lstmKernelInUse(): string {
  if (lstmAddonInUse()) return `addon (${lstmAddonSettings()})`;
  return nativeLstmAvailable() ? "libtensorflow's ops" : 'tfjs ops';
}

/** How the addon runs here, e.g. `avx512, 2 threads`; undefined where it does not load. */
export function lstmAddonSettings(): string | undefined {
  const addon = lstmAddon();
  if (addon === undefined) return undefined;
  const threads = addon.threads();
  return `${addon.isa}, ${threads} thread${threads === 1 ? '' : 's'}`;
}

/**
 * States whose backward pass has run. Their input gradient, if backprop needs it, is asked for
 * in that same backprop (input-link.ts), before any later forward pass; so each forward pass
 * first returns these to the addon. A state never back-propagated is freed when collected.
 */
const backpropagated = new Set<AddonState>();

/**
 * The values of each tensor read so far, by its data: tfjs data never changes once made (a
 * variable's assign gives it new data), and reading data that lives in libtensorflow copies it
 * into a new array each time (700 KB a training step; fresh memory faults, docs/NOTES.md). So the
 * same input batch or unchanged weights, read again (inference, evaluation, a benchmark's fixed
 * batch), are read once. Entries go when their data is collected.
 */
const readValues = new WeakMap<object, Float32Array>();

function float32(t: tf.Tensor): Float32Array {
  const cached = readValues.get(t.dataId);
  if (cached !== undefined) return cached;
  const data = t.dataSync();
  const values = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
  readValues.set(t.dataId, values);
  return values;
}

/** One array per result and size, filled again by every call (see `resultTensor`). */
const resultArrays = new Map<string, Float32Array>();
function resultArray(role: string, length: number): Float32Array {
  const key = `${role} ${length}`;
  let a = resultArrays.get(key);
  if (a === undefined) {
    a = new Float32Array(length);
    resultArrays.set(key, a);
  }
  return a;
}

/**
 * A tensor holding a copy of `values`, so the array can be filled again. tfjs-node's tensors
 * keep (wrap, not copy) the array they are made from, and new arrays each step cost page faults
 * (docs/NOTES.md): on tensorflow libtensorflow's DeepCopy makes the copy in its own memory, and
 * the wrapping tensor is freed at once; other backends get a copy of the array.
 */
export function resultTensor(values: Float32Array, shape: number[]): tf.Tensor {
  const backend = tensorflowBackend();
  if (backend === undefined) return tf.tensor(values.slice(), shape);
  const wrapped = tf.tensor(values, shape);
  try {
    return runOp(backend, 'DeepCopy', [floatType(backend.binding)], [wrapped], 1)[0] as tf.Tensor;
  } finally {
    wrapped.dispose();
  }
}

/**
 * The LSTM over a whole sequence on the addon, with the same contract as `fusedLstmSequence`:
 * x [batch, steps, inputDim], kernel [inputDim, 4u], recurrentKernel [u, 4u], bias [4u] (gates
 * i, f, c, o) -> [batch, steps, u] if `returnSequences`, else [batch, u]. Zero initial state.
 */
export function addonLstmSequence(
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  returnSequences: boolean,
): tf.Tensor {
  const addon = lstmAddon();
  if (addon === undefined) throw new Error(`addonLstmSequence: the LSTM addon is not built (${lstmAddonProblem()})`);
  const { batch, steps, inputDim, units } = lstmShapes('addonLstmSequence', x, kernel, recurrentKernel, bias);
  const gates = 4 * units;
  const input = linkInput(x, 'addonLstmSequence');

  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [, kIn, rIn, bIn] = args;
    if (!(kIn instanceof tf.Tensor && rIn instanceof tf.Tensor && bIn instanceof tf.Tensor)) {
      throw new Error('addonLstmSequence: customGrad called with unexpected arguments');
    }
    for (const state of backpropagated) addon.release(state);
    backpropagated.clear();
    // Only a pass that tfjs may differentiate keeps its state (tf.grads, fit, minimize set gradientDepth).
    const keep = tf.engine().state.gradientDepth > 0;
    const dims = [batch, steps, inputDim, units] as const;
    const h = resultArray('h', batch * units * (returnSequences ? steps : 1));
    const state = addon.forward(float32(x), float32(kIn), float32(rIn), float32(bIn), dims, keep, h);
    const value = resultTensor(h, returnSequences ? [batch, steps, units] : [batch, units]);

    const gradFunc = (dy: tf.Tensor | tf.Tensor[]): tf.Tensor[] => {
      const dOut = Array.isArray(dy) ? dy[0] : dy;
      if (dOut === undefined) throw new Error('addonLstmSequence: no upstream gradient');
      if (state === undefined) throw new Error('addonLstmSequence: a gradient of a forward pass made outside tf.grads');
      const d = float32(dOut);
      const dw = resultArray('dw', (inputDim + units) * gates);
      const dbias = resultArray('dbias', gates);
      addon.backward(state, returnSequences ? null : d, returnSequences ? d : null, dw, dbias);
      backpropagated.add(state);
      input.provide(() => {
        const dx = resultArray('dx', batch * steps * inputDim);
        addon.inputGradient(state, dx);
        addon.release(state);
        backpropagated.delete(state);
        return resultTensor(dx, [batch, steps, inputDim]);
      });
      return [
        tokenGradient(),
        resultTensor(dw.subarray(0, inputDim * gates), [inputDim, gates]),
        resultTensor(dw.subarray(inputDim * gates), [units, gates]),
        resultTensor(dbias, [gates]),
      ];
    };
    return { value, gradFunc };
  });
  return run(input.token, kernel, recurrentKernel, bias);
}
