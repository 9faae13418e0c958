/**
 * Stopping long work (training, downloads) at its next step boundary, on Ctrl-C or Jupyter's stop
 * button (both a SIGINT to the process) or when the caller's AbortSignal aborts.
 *
 * In a tslab kernel, the stop button makes tslab end the running cell at once with its own
 * "Interrupted asynchronously" error, but an awaited loop in the cell would go on in the
 * background (printing into later cells, changing the model under the learner). So the helpers
 * listen for SIGINT themselves while they work, stop before their next step, free what they
 * made and reject with an `InterruptedError`; the listener is removed when the work ends, however
 * it ends. The listener goes first (`prependListener`), so the work is flagged before tslab's own
 * handler runs.
 *
 * It is added on the next turn of the event loop, not at once: tslab runs a cell's synchronous
 * part with `vm`'s `breakOnSigint`, during which Node takes every SIGINT listener away (and puts
 * them back after); with a listener added in that window, the next interrupt killed the kernel
 * (measured with Node 20 and tslab 1.0.22). A SIGINT in that first instant is not seen.
 */

/** Work stopped on request (SIGINT or an AbortSignal), after `step` of `steps` steps. */
export class InterruptedError extends Error {
  override readonly name: string = 'InterruptedError';
  constructor(
    /** Steps completed: the model holds the weights of step `step`. */
    readonly step: number,
    readonly steps: number,
    /** What was stopped, e.g. `training`. */
    readonly what = 'training',
    /** What `step` counts, e.g. `byte` for a download. */
    readonly unit = 'step',
  ) {
    super(`${what} interrupted at ${unit} ${step} of ${steps}`);
  }
}

/** How long work may be stopped. */
export interface StopOptions {
  /** Stop when this aborts (library users; the CLI). */
  readonly signal?: AbortSignal;
  /**
   * Stop on SIGINT (Ctrl-C, Jupyter's interrupt) while the work runs. Default true. While the
   * work runs, Node's default of exiting on SIGINT is off; it is back once the work has ended.
   */
  readonly stopOnSigint?: boolean;
}

/** A flag the work polls at its step boundaries; `release()` removes the SIGINT listener. */
export interface StopFlag {
  /** True once a stop was asked for. */
  readonly requested: boolean;
  /** Throws InterruptedError(step, steps, what, unit) if a stop was asked for. */
  check(step: number, steps: number, what?: string, unit?: string): void;
  /** Calls `onStop` (once) as soon as a stop is asked for, e.g. to abort a request; returns this flag. */
  onStop(onStop: () => void): StopFlag;
  /** Removes the listener; call it in a `finally`. */
  release(): void;
}

/** Starts watching for a stop request: SIGINT (unless `stopOnSigint` is false) and `signal`. */
export function watchForStop(options: StopOptions = {}): StopFlag {
  let requested = options.signal?.aborted ?? false;
  let handlers: (() => void)[] = [];
  const request = (): void => {
    if (requested) return;
    requested = true;
    const run = handlers;
    handlers = [];
    for (const h of run) h();
  };
  const onSigint = (): void => request();
  const sigint = options.stopOnSigint ?? true;
  let listening = false;
  let released = false;
  if (sigint) {
    setImmediate(() => {
      if (released) return;
      process.prependListener('SIGINT', onSigint);
      listening = true;
    });
  }
  options.signal?.addEventListener('abort', request, { once: true });
  const flag: StopFlag = {
    get requested() {
      return requested;
    },
    check(step, steps, what, unit) {
      if (requested) throw new InterruptedError(step, steps, what, unit);
    },
    onStop(onStop) {
      if (requested) onStop();
      else handlers.push(onStop);
      return flag;
    },
    release() {
      released = true;
      if (listening) process.removeListener('SIGINT', onSigint);
      options.signal?.removeEventListener('abort', request);
      handlers = [];
    },
  };
  return flag;
}
