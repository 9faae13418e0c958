/**
 * Keeps a tslab kernel alive when a notebook sends many messages.
 *
 * tslab (1.0.22) hands every Jupyter message to zeromq 6 without waiting for the send to finish.
 * zeromq finishes at most 512 sends on a socket synchronously, then defers one to the event loop,
 * and a second send on that socket before the deferred one lands throws EBUSY ("Socket is busy
 * writing; only one send operation may be in progress at any time"). Every 513th message of a
 * kernel's life is therefore a gamble: inside a cell the error surfaces from `console.log` or a
 * chart; in tslab's own "busy" or "idle" status between cells it is an unhandled rejection, which
 * the wasm backend's Emscripten runtime rethrows, and the kernel dies (seen after 8 minutes of
 * notebook 7 on wasm). One cell that draws 600 updates fails every time.
 *
 * `queueKernelSends` makes a refused send wait for the one in flight instead, keeping each
 * socket's messages in order, so no send is lost. It patches the zeromq that tslab loaded (found
 * in the module cache) and nothing else: outside a tslab kernel there is none, and it does
 * nothing. The helper module calls it on import.
 */

import { sep } from 'node:path';

/** Marks a prototype whose `send` is already queued (one patch per process, however often called). */
const QUEUED = Symbol.for('rnn-notebooks.queued-sends');

type Send = (this: object, ...args: unknown[]) => unknown;

/** The zeromq module loaded in this process (tslab's), if any. */
function loadedZeromq(): Record<string, unknown> | undefined {
  const cache = typeof require === 'function' ? require.cache : {};
  const suffix = ['', 'zeromq', 'lib', 'index.js'].join(sep);
  const key = Object.keys(cache).find((k) => k.endsWith(suffix));
  const exported: unknown = key === undefined ? undefined : cache[key]?.exports;
  return typeof exported === 'object' && exported !== null ? (exported as Record<string, unknown>) : undefined;
}

/** Writes a failed send to the kernel's stderr (Jupyter's log): tslab never looks at a send's result. */
function report(e: unknown): void {
  process.stderr.write(`rnn-notebooks: a Jupyter message could not be sent: ${String(e)}\n`);
}

/**
 * `send` that queues instead of throwing EBUSY. A send goes straight to zeromq, as before, unless
 * zeromq refuses it because one is in flight, or earlier sends are already queued; then it waits
 * for the one before it, so a socket's messages keep their order. Only the refused sends change
 * path: queuing every send (deferring each by a microtask) kept the classic Notebook from drawing
 * any output after the first large one under Node.js 24.
 */
function queued(send: Send): Send {
  const sockets = new WeakMap<object, { last: Promise<void>; waiting: number }>();
  return function queuedSend(this: object, ...args: unknown[]): unknown {
    const state = sockets.get(this);
    if (state === undefined || state.waiting === 0) {
      try {
        const result = send.apply(this, args);
        sockets.set(this, { last: Promise.resolve(result).then(() => undefined, report), waiting: 0 });
        return result;
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'EBUSY' || state === undefined) throw e;
      }
    }
    // Refused, or behind queued ones: wait for the send before it (a caller that awaits the
    // result still sees its error; tslab does not, so a failure is reported on stderr).
    const now = state as { last: Promise<void>; waiting: number };
    now.waiting += 1;
    const result = now.last.then(() => send.apply(this, args));
    now.last = result
      .then(() => undefined, report)
      .finally(() => {
        now.waiting -= 1;
      });
    return result;
  };
}

/**
 * Queues the sends of every socket class of the zeromq loaded in this process (tslab's). Returns
 * true when that zeromq's sends are queued (now or by an earlier call), false when none is loaded.
 */
export function queueKernelSends(): boolean {
  const zmq = loadedZeromq();
  const base = zmq?.['Socket'];
  if (typeof base !== 'function') return false;
  for (const value of Object.values(zmq ?? {})) {
    if (typeof value !== 'function' || !(value.prototype instanceof base)) continue;
    const proto = value.prototype as Record<PropertyKey, unknown>;
    const send = proto['send'];
    if (typeof send !== 'function' || proto[QUEUED] === true) continue;
    // zeromq's own send is a read-only method of the native base class: define it on each
    // JavaScript subclass (Publisher for iopub, Router for shell and control, ...) instead.
    Object.defineProperty(proto, 'send', { value: queued(send as Send), writable: true, configurable: true });
    Object.defineProperty(proto, QUEUED, { value: true });
  }
  return true;
}
