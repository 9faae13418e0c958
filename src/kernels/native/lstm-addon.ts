/**
 * The fused LSTM on this project's own CPU kernel (native/lstm/, a Node-API addon that
 * `npm run native` builds beside tfjs-node): the same function, weights and contract as
 * `fusedLstmSequence`, with the forward pass one call and the backward pass another.
 *
 * Why its own kernel: libtensorflow runs the sequence as ~90 eager ops on one thread (more
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

/** What the forward pass leaves for the backward pass, owned by the addon. */
type AddonState = { readonly __lstmState: unique symbol };

interface LstmAddon {
  /**
   * x [B,T,D], kernel [D, 4U], recurrentKernel [U, 4U], bias [4U] -> h ([B,U], or [B,T,U] if
   * `sequence`) and, if `keep`, the state the backward pass needs.
   */
  forward(
    x: Float32Array,
    kernel: Float32Array,
    recurrentKernel: Float32Array,
    bias: Float32Array,
    dims: readonly [number, number, number, number],
    keep: boolean,
    sequence: boolean,
  ): [Float32Array, AddonState | undefined];
  /** dL/dw [D+U, 4U] and dL/dbias [4U] from dL/dh (last step [B,U], or every step [B,T,U]). */
  backward(state: AddonState, dhLast: Float32Array | null, dhSeq: Float32Array | null): [Float32Array, Float32Array];
  /** dL/dx [B,T,D], after backward. */
  inputGradient(state: AddonState): Float32Array;
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
 * `addon (avx512, 2 threads)`, `libtensorflow's LSTM ops`, or `tfjs ops`.
 */
export function lstmKernelInUse(): string {
  const addon = lstmAddonInUse() ? lstmAddon() : undefined;
  if (addon !== undefined) return `addon (${addon.isa}, ${addon.threads()} thread${addon.threads() === 1 ? '' : 's'})`;
  return nativeLstmAvailable() ? "libtensorflow's LSTM ops" : 'tfjs ops';
}

/**
 * States whose backward pass has run. Their input gradient, if backprop needs it, is asked for
 * in that same backprop (input-link.ts), before any later forward pass; so each forward pass
 * first returns these to the addon. A state never back-propagated is freed when collected.
 */
const backpropagated = new Set<AddonState>();

function float32(t: tf.Tensor): Float32Array {
  const data = t.dataSync();
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
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
    const [h, state] = addon.forward(float32(x), float32(kIn), float32(rIn), float32(bIn), dims, keep, returnSequences);
    // A new array each call: tfjs-node's tensor keeps (does not copy) the array it is made from.
    const value = tf.tensor(h, returnSequences ? [batch, steps, units] : [batch, units]);

    const gradFunc = (dy: tf.Tensor | tf.Tensor[]): tf.Tensor[] => {
      const dOut = Array.isArray(dy) ? dy[0] : dy;
      if (dOut === undefined) throw new Error('addonLstmSequence: no upstream gradient');
      if (state === undefined) throw new Error('addonLstmSequence: a gradient of a forward pass made outside tf.grads');
      const d = float32(dOut);
      const [dw, dbias] = addon.backward(state, returnSequences ? null : d, returnSequences ? d : null);
      backpropagated.add(state);
      input.provide(() => {
        const dx = addon.inputGradient(state);
        addon.release(state);
        backpropagated.delete(state);
        return tf.tensor(dx, [batch, steps, inputDim]);
      });
      return [
        tokenGradient(),
        tf.tensor(dw.subarray(0, inputDim * gates), [inputDim, gates]),
        tf.tensor(dw.subarray(inputDim * gates), [units, gates]),
        tf.tensor(dbias, [gates]),
      ];
    };
    return { value, gradFunc };
  });
  return run(input.token, kernel, recurrentKernel, bias);
}
