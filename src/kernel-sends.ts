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
 * `queueKernelSends` queues each socket's sends behind the one in flight, in order, so no send is
 * refused. It patches the zeromq that tslab loaded (found in the module cache) and nothing else:
 * outside a tslab kernel there is none, and it does nothing. The helper module calls it on import.
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

/** `send` wrapped so that a socket's sends go out one after another, in the order they were made. */
function queued(send: Send): Send {
  const tails = new WeakMap<object, Promise<void>>();
  return function queuedSend(this: object, ...args: unknown[]): unknown {
    const tail = tails.get(this);
    // Nothing in flight: send now, as zeromq would (a synchronous error still throws to the caller).
    const result = tail === undefined ? send.apply(this, args) : tail.then(() => send.apply(this, args));
    // tslab never waits for a send; a failed one is reported on the kernel's stderr (Jupyter's
    // log), not left as an unhandled rejection. A caller that awaits `result` still sees the error.
    const settled = Promise.resolve(result).then(
      () => undefined,
      (e: unknown) => {
        process.stderr.write(`rnn-notebooks: a Jupyter message could not be sent: ${String(e)}\n`);
      },
    );
    tails.set(this, settled);
    void settled.then(() => {
      if (tails.get(this) === settled) tails.delete(this);
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
