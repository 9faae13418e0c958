/**
 * Keeping signals off the threads that run libtensorflow, so that its oneDNN matmuls can run at
 * full speed and still be interrupted.
 *
 * The oneDNN inside libtensorflow 2.21 has AVX2 and AVX-512 matrix-multiply kernels that point
 * the stack pointer into the heap while they run (oneDNN issue #4845): a signal handled on that
 * thread writes its frame into the heap, and Ctrl-C and Jupyter's interrupt are signals. On Linux a
 * signal sent to the process goes to a thread that does not block it. So `guardSignals` blocks,
 * on the calling (main) thread and before tfjs-node loads, every signal a Node program can catch
 * asynchronously. The threads Node started before any JavaScript ran keep them open and take them;
 * Node's handlers run there and hand the signal to the event loop as before (`process.on`, tslab's
 * interrupt, vm's `breakOnSigint` all still work); every thread created afterwards, libtensorflow's
 * pools included, inherits the block. libuv clears the mask in the children it spawns.
 *
 * Left open: SIGUSR1 (the inspector; Node's own threads block it, so blocking it here too would
 * leave it pending forever), SIGPROF (the CPU profiler samples a chosen thread: blocked, profiles
 * go empty; `backend.ts` keeps oneDNN capped while profiling), the signals a fault raises on the
 * faulting thread itself (SEGV, BUS, FPE, ILL, TRAP, SYS, ABRT), SIGPIPE (Node ignores it: no
 * handler runs), and KILL and STOP (they cannot be blocked).
 *
 * `pthread_sigmask` is called through koffi, an FFI package with prebuilt binaries (an optional
 * dependency): no compiler needed, so the guard also works where tfjs-node installed itself.
 * Details and measurements: docs/NOTES.md, "Signals and oneDNN".
 */
import { constants, platform } from 'node:os';

/** Signals left open, and why (see the header). */
const LEFT_OPEN: ReadonlySet<string> = new Set([
  'SIGUSR1',
  'SIGPROF',
  'SIGSEGV',
  'SIGBUS',
  'SIGFPE',
  'SIGILL',
  'SIGTRAP',
  'SIGSYS',
  'SIGABRT',
  'SIGIOT',
  'SIGPIPE',
  'SIGKILL',
  'SIGSTOP',
]);

/** The signals the guard blocks on the main thread, by name, in signal-number order (Linux). */
export const GUARDED_SIGNALS: readonly NodeJS.Signals[] = (
  Object.entries(constants.signals) as [NodeJS.Signals, number][]
)
  .filter(([name]) => !LEFT_OPEN.has(name))
  .sort(([, a], [, b]) => a - b)
  .filter(([, number], k, all) => all.findIndex(([, n]) => n === number) === k) // SIGIO and SIGPOLL are one signal
  .map(([name]) => name);

/** The environment variable that turns the guard off (`0`), for comparisons and diagnosis. */
export const SIGNAL_GUARD_ENV_VAR = 'RNN_SIGNAL_GUARD';

/** Whether the guard is on, and if not, why (one clause, for the backend line and doctor). */
export type SignalGuard = { readonly active: true } | { readonly active: false; readonly why: string };

/** The part of koffi this file calls. */
interface Koffi {
  load(path: string): { func(signature: string): (...args: unknown[]) => unknown };
}

function isKoffi(value: unknown): value is Koffi {
  return typeof value === 'object' && value !== null && 'load' in value && typeof value.load === 'function';
}

let state: SignalGuard | undefined;

/** glibc's sigset_t is 128 bytes; more room costs nothing. */
const SIGSET_BYTES = 256;
const SIG_BLOCK = 0;

/**
 * Blocks GUARDED_SIGNALS on the calling thread (call it on the main thread, before tfjs-node
 * loads); returns whether that worked. Idempotent: later calls return the first call's result.
 */
export function guardSignals(env: Readonly<Record<string, string | undefined>> = process.env): SignalGuard {
  if (state !== undefined) return state;
  state = blockSignals(env);
  return state;
}

/** What `guardSignals` did in this process, or undefined before it was called. */
export function signalGuardState(): SignalGuard | undefined {
  return state;
}

function blockSignals(env: Readonly<Record<string, string | undefined>>): SignalGuard {
  if (env[SIGNAL_GUARD_ENV_VAR] === '0') return { active: false, why: `turned off by ${SIGNAL_GUARD_ENV_VAR}=0` };
  if (platform() !== 'linux') return { active: false, why: `written for Linux, this is ${platform()}` };
  let koffi: unknown;
  try {
    koffi = require('koffi');
  } catch (err) {
    const first = ((err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '').trim();
    return {
      active: false,
      why: `koffi, the optional package it calls pthread_sigmask with, does not load (${first})`,
    };
  }
  if (!isKoffi(koffi)) return { active: false, why: 'koffi loaded but has no load()' };
  try {
    const libc = koffi.load('libc.so.6');
    const sigemptyset = libc.func('int sigemptyset(uint8_t *set)');
    const sigaddset = libc.func('int sigaddset(uint8_t *set, int signum)');
    const pthreadSigmask = libc.func('int pthread_sigmask(int how, const uint8_t *set, uint8_t *oldset)');
    const set = Buffer.alloc(SIGSET_BYTES);
    if (sigemptyset(set) !== 0) return { active: false, why: 'sigemptyset failed' };
    for (const name of GUARDED_SIGNALS) {
      if (sigaddset(set, constants.signals[name]) !== 0) return { active: false, why: `sigaddset(${name}) failed` };
    }
    const rc = pthreadSigmask(SIG_BLOCK, set, null);
    return rc === 0 ? { active: true } : { active: false, why: `pthread_sigmask returned ${String(rc)}` };
  } catch (err) {
    return {
      active: false,
      why: `pthread_sigmask could not be called (${err instanceof Error ? err.message : String(err)})`,
    };
  }
}
