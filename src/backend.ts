/**
 * Choosing and setting up the TensorFlow.js backend.
 *
 * This is the only file that loads tfjs-node or the wasm package; everything else imports
 * `@tensorflow/tfjs` and runs on whichever backend is active.
 *  - `tensorflow`: `@tensorflow/tfjs-node`, native libtensorflow. The fastest (the fused LSTM
 *    runs on libtensorflow's own LSTM kernels there), but its install downloads libtensorflow, so
 *    it is an optional dependency and often missing; `npm run native` builds it without that
 *    download (scripts/native.ts).
 *  - `wasm`: `@tensorflow/tfjs-backend-wasm`, portable and always installed.
 *  - `cpu`: tfjs's pure-JavaScript kernels, the slowest, the reference for tests.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { UsageError } from './errors';
import { guardSignals, type SignalGuard } from './signal-guard';
import {
  LSTM_ADDON_PATH,
  LSTM_KERNEL_ENV_VAR,
  lstmAddonInUse,
  lstmAddonProblem,
  lstmAddonSettings,
} from './kernels/native/lstm-addon';
import { patchTensorflowMatMul } from './kernels/native/matmul';
import { libtensorflowVersion, tensorflowBackend } from './kernels/native/ops';
import { patchWasmKernels, unpatchWasmKernels, wasmKernelsPatched } from './kernels/wasm';

/** A backend this project can run on; `auto` picks the fastest one that loads. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendChoice = BackendName | 'auto';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** The environment variable that overrides the `auto` choice. */
export const BACKEND_ENV_VAR = 'RNN_BACKEND';

export interface BackendOptions {
  /** Which backend to use; `auto` (the default) honours `RNN_BACKEND`, then tries tensorflow, wasm, cpu. */
  readonly backend?: BackendChoice;
  /** Environment to read `RNN_BACKEND` from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * On wasm, replace the kernels that take slow paths as shipped (src/kernels/wasm/); default
   * true. False restores the stock kernels (the benchmark's reference rows).
   */
  readonly wasmKernelFixes?: boolean;
}

/** What `setupBackend` chose, and a sentence saying why. */
export interface BackendInfo {
  readonly name: BackendName;
  readonly reason: string;
}

/** Narrowing guard for flag and env values. */
export function isBackendChoice(value: string): value is BackendChoice {
  return (BACKEND_CHOICES as readonly string[]).includes(value);
}

let loaded: { wasm?: true; tensorflow?: true } = {};

/** libtensorflow's variable for its intra-op thread pool (the threads one op's work is split over). */
export const INTRA_OP_THREADS_ENV_VAR = 'TF_NUM_INTRAOP_THREADS';
/** oneDNN's cap on the instruction sets its kernels use (libtensorflow's matmuls run on oneDNN). */
export const ONEDNN_ISA_ENV_VAR = 'ONEDNN_MAX_CPU_ISA';

/** What decides how libtensorflow may run in this process. */
export interface TensorflowMachine {
  readonly cores: number;
  readonly arch: string;
  /** Signals are kept off the threads that run libtensorflow (src/signal-guard.ts). */
  readonly signalsGuarded: boolean;
  /** A CPU profiler samples with SIGPROF, which the guard cannot keep off those threads. */
  readonly profiling: boolean;
}

/**
 * The environment this project gives libtensorflow before it loads, leaving alone any variable the
 * user set (an empty value counts as unset):
 *  - `TF_NUM_INTRAOP_THREADS=1` on a machine of at most two cores. The JavaScript thread that
 *    issues every op needs a core of its own, and handing each op to a pool thread per core cost
 *    more than the second core gave: measured on a 2-core machine, one training step of the
 *    tutorial's model took about 30 ms with 1 thread against about 41 ms with the default 2. Not
 *    measured on more cores, so left at libtensorflow's default there.
 *  - `ONEDNN_MAX_CPU_ISA=AVX` on x86-64 where signals are not guarded or a profiler runs: oneDNN's
 *    AVX2 and AVX-512 matmuls corrupt the heap when a signal is handled on their thread (oneDNN
 *    issue #4845; src/signal-guard.ts). Capped at AVX they are safe but about 2x slower: a training
 *    step took 2.2x as long on libtensorflow's LSTM ops, 1.06x on the LSTM addon (whose own
 *    kernels the cap does not touch); with the guard, oneDNN keeps its default (every set).
 */
export function tensorflowEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  machine: TensorflowMachine,
): Record<string, string> {
  const unset = (name: string): boolean => env[name] === undefined || env[name] === '';
  const out: Record<string, string> = {};
  if (unset(INTRA_OP_THREADS_ENV_VAR) && machine.cores <= 2) out[INTRA_OP_THREADS_ENV_VAR] = '1';
  if (unset(ONEDNN_ISA_ENV_VAR) && machine.arch === 'x64' && (!machine.signalsGuarded || machine.profiling))
    out[ONEDNN_ISA_ENV_VAR] = 'AVX';
  return out;
}

/**
 * Whether this process runs a CPU profiler that samples with SIGPROF: `--cpu-prof` or `--prof`
 * (on the command line or in NODE_OPTIONS), or an inspector that is listening (a debugger's
 * profiler). Such a profile crashed oneDNN's uncapped kernels with or without the guard.
 */
export function profilerActive(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env['NODE_OPTIONS'] ?? '',
): boolean {
  const flags = [...execArgv, ...nodeOptions.split(/\s+/)];
  if (flags.some((f) => /^--(cpu-prof|prof)(=|$)/.test(f))) return true;
  return require('node:inspector').url() !== undefined;
}

/** How oneDNN runs in this process, in words for the backend line; set when tfjs-node loads. */
let onednnNote: string | undefined;

/**
 * Loads tfjs-node as this project runs it (signals guarded and the environment it reads set
 * first); throws where the package or its native binding is missing. `setupBackend` calls it; so
 * do the tests, to find out whether tfjs-node loads here.
 */
export function loadTensorflow(): void {
  if (loaded.tensorflow) return;
  // Throws "Cannot find module" as require would, before any signal is blocked for nothing.
  require.resolve('@tensorflow/tfjs-node');
  // Before libtensorflow starts its threads: they inherit the block.
  const guard = guardSignals();
  const profiling = profilerActive();
  // Read when libtensorflow makes its context and when oneDNN first runs, on first load: set them before.
  const added = tensorflowEnvironment(process.env, {
    cores: availableParallelism(),
    arch: process.arch,
    signalsGuarded: guard.active,
    profiling,
  });
  Object.assign(process.env, added);
  onednnNote = describeOnednn(added[ONEDNN_ISA_ENV_VAR] !== undefined, guard, profiling);
  // libtensorflow logs INFO and WARNING lines to stderr (e.g. "BlockLSTMOp is inefficient when
  // batch_size is odd"); keep errors only, unless the user asked for more. It reads the variable
  // when it first logs, so setting it here, before the library loads, is enough.
  process.env['TF_CPP_MIN_LOG_LEVEL'] ??= '2';
  restoreRemovedUtil();
  // Registers the 'tensorflow' backend; throws if the package or its native binding is missing.
  require('@tensorflow/tfjs-node');
  loaded = { ...loaded, tensorflow: true };
}

/**
 * tfjs-node 4.22 checks its op inputs with two of `util`'s old type checks. Node.js 23 removed
 * `util.isNullOrUndefined` (on Node 24 every op would throw "isNullOrUndefined is not a
 * function"), and since Node 22 `util.isArray` prints a DeprecationWarning (DEP0044) to stderr on
 * first use, into a learner's terminal and the command line's one-line errors. Before tfjs-node
 * reads the module: put back the first as Node 22 defined it, where it is missing, and make the
 * second `Array.isArray`, which it has always been. Returns what it changed.
 */
export function restoreRemovedUtil(
  util: Record<string, unknown> = require('node:util') as Record<string, unknown>,
): string[] {
  const changed: string[] = [];
  if (typeof util['isNullOrUndefined'] !== 'function') {
    util['isNullOrUndefined'] = (value: unknown): boolean => value === null || value === undefined;
    changed.push('isNullOrUndefined');
  }
  if (util['isArray'] !== Array.isArray) {
    util['isArray'] = Array.isArray;
    changed.push('isArray');
  }
  return changed;
}

function describeOnednn(capped: boolean, guard: SignalGuard, profiling: boolean): string {
  if (capped) {
    const why = profiling ? 'a CPU profiler is running' : `the signal guard is off: ${guard.active ? 'on' : guard.why}`;
    return `oneDNN capped at AVX, its matmuls about 2x slower, because ${why}`;
  }
  const signals = guard.active ? 'signals kept off its threads' : `signals not guarded (${guard.why})`;
  const isa = process.env[ONEDNN_ISA_ENV_VAR];
  return isa !== undefined && isa !== ''
    ? `${ONEDNN_ISA_ENV_VAR}=${isa} as set, ${signals}`
    : `oneDNN at full speed, ${signals}`;
}

/** How oneDNN runs in this process (e.g. `oneDNN at full speed, signals kept off its threads`), once tfjs-node has loaded. */
export function onednnState(): string | undefined {
  return onednnNote;
}

function loadWasm(): void {
  if (loaded.wasm) return;
  require('@tensorflow/tfjs-backend-wasm');
  loaded = { ...loaded, wasm: true };
}

/** Why tfjs-node did not load, in words a user can act on (one line). */
export function tensorflowProblem(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const first = (message.split('\n')[0] ?? '').trim();
  if (/Cannot find module '@tensorflow\/tfjs-node'/.test(message)) {
    return 'tfjs-node not installed: `npm install` with network access installs it, or `npm run native` builds it here';
  }
  if (/tfjs_binding\.node\) can not be found/.test(message)) {
    return `tfjs-node is installed but its native binding is not built (${first.replace(/^The Node.js native addon module /, '')}): run \`npm run native\``;
  }
  if (
    /libtensorflow\S*\.(so|dylib)\S*: cannot open shared object file|Library not loaded|image not found/.test(message)
  ) {
    return `tfjs-node's libtensorflow is missing (${first}): run \`npm run native\``;
  }
  return `tfjs-node failed to load (${first})`;
}

/** tfjs-backend-cpu greets Node users with a long "install tfjs-node" banner on first use; the one-line reason replaces it. */
function silenceCpuBanner(): void {
  const cpu: unknown = tf.findBackend('cpu');
  if (typeof cpu === 'object' && cpu !== null && 'firstUse' in cpu) {
    (cpu as { firstUse: boolean }).firstUse = false;
  }
}

async function activate(name: BackendName, wasmKernelFixes: boolean): Promise<void> {
  if (name === 'tensorflow') loadTensorflow();
  if (name === 'wasm') loadWasm();
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend "${name}" failed to initialise`);
  await tf.ready();
  if (name === 'cpu') silenceCpuBanner();
  if (name === 'tensorflow') {
    const backend = tensorflowBackend();
    if (backend !== undefined) patchTensorflowMatMul(backend);
  }
  if (name === 'wasm' && wasmKernelFixes) patchWasmKernels();
  if (name === 'wasm' && !wasmKernelFixes && wasmKernelsPatched()) unpatchWasmKernels();
}

/**
 * On tensorflow, which kernels run the fused LSTM and, where it is not the project's addon, why:
 * e.g. `LSTM on the project's kernel (avx512, 2 threads)`.
 */
export function lstmNote(): string {
  if (lstmAddonInUse()) return `LSTM on the project's kernel (${lstmAddonSettings()})`;
  if (process.env[LSTM_KERNEL_ENV_VAR] === '0') return `LSTM on libtensorflow's ops (${LSTM_KERNEL_ENV_VAR}=0)`;
  if (existsSync(LSTM_ADDON_PATH))
    return `LSTM on libtensorflow's ops (the project's kernel is built but does not load: ${lstmAddonProblem()})`;
  return "LSTM on libtensorflow's ops (`npm run native` builds the project's faster kernel)";
}

/**
 * Sets the tfjs backend and returns which one is active and why.
 * Calling it again with the same choice is cheap (notebooks re-run their set-up cell).
 */
export async function setupBackend(options: BackendOptions = {}): Promise<BackendInfo> {
  const env = options.env ?? process.env;
  const fixes = options.wasmKernelFixes ?? true;
  let choice: BackendChoice = options.backend ?? 'auto';
  let source = 'requested';
  const fromEnv = env[BACKEND_ENV_VAR];
  if (choice === 'auto' && fromEnv !== undefined && fromEnv !== '') {
    if (!isBackendChoice(fromEnv)) {
      throw new UsageError(
        `${BACKEND_ENV_VAR}="${fromEnv}" is not a backend; expected one of ${BACKEND_CHOICES.join(', ')}`,
      );
    }
    choice = fromEnv;
    source = `set by ${BACKEND_ENV_VAR}`;
  }

  if (choice !== 'auto') {
    try {
      await activate(choice, fixes);
    } catch (err) {
      const why = choice === 'tensorflow' ? tensorflowProblem(err) : err instanceof Error ? err.message : String(err);
      throw new UsageError(`backend "${choice}" (${source}) is not available: ${why}`);
    }
    return { name: choice, reason: choice === 'tensorflow' ? `${source}; ${onednnNote ?? ''}; ${lstmNote()}` : source };
  }

  let tensorflowWhy: string;
  try {
    await activate('tensorflow', fixes);
    return {
      name: 'tensorflow',
      reason: `the fastest that loads here: tfjs-node, native libtensorflow ${libtensorflowVersion() ?? '(version unknown)'}; ${onednnNote ?? ''}; ${lstmNote()}`,
    };
  } catch (err) {
    tensorflowWhy = tensorflowProblem(err);
  }
  try {
    await activate('wasm', fixes);
    return { name: 'wasm', reason: tensorflowWhy };
  } catch (err) {
    const wasmWhy = err instanceof Error ? err.message : String(err);
    await activate('cpu', fixes);
    return { name: 'cpu', reason: `${tensorflowWhy}; wasm failed too (${wasmWhy})` };
  }
}

/**
 * How this process runs libtensorflow: its intra-op thread count and oneDNN's instruction-set cap,
 * as the user or `tensorflowEnvironment` set them, else `default`. Only meaningful once tensorflow
 * is the backend.
 */
export function libtensorflowSettings(): { readonly intraOpThreads: string; readonly onednnMaxIsa: string } {
  const read = (name: string): string => {
    const set = process.env[name];
    return set === undefined || set === '' ? 'default' : set;
  };
  return { intraOpThreads: read(INTRA_OP_THREADS_ENV_VAR), onednnMaxIsa: read(ONEDNN_ISA_ENV_VAR) };
}

/** One line for logs and notebooks, e.g. `backend: wasm (tfjs-node not installed: ...)`. */
export function describeBackend(info: BackendInfo): string {
  return `backend: ${info.name} (${info.reason})`;
}
