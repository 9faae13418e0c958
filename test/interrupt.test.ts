/**
 * Stopping work at a step boundary: an AbortSignal, and a real SIGINT sent to a child process
 * (the listener is there only while the work runs; afterwards SIGINT ends the process as usual).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { InterruptedError, watchForStop } from '../src/interrupt';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('an AbortSignal stops the work at its next check, and onStop runs once', () => {
  const controller = new AbortController();
  const flag = watchForStop({ signal: controller.signal, stopOnSigint: false });
  let stops = 0;
  flag.onStop(() => stops++);
  assert.equal(flag.requested, false);
  assert.doesNotThrow(() => flag.check(2, 10));
  controller.abort();
  assert.equal(flag.requested, true);
  assert.throws(
    () => flag.check(3, 10),
    (err: unknown) =>
      err instanceof InterruptedError &&
      err.step === 3 &&
      err.steps === 10 &&
      err.message === 'training interrupted at step 3 of 10',
  );
  assert.throws(
    () => flag.check(7, 99, 'download', 'byte'),
    /^InterruptedError: download interrupted at byte 7 of 99$/,
  );
  flag.onStop(() => stops++); // asked after the stop: runs at once
  assert.equal(stops, 2);
  flag.release();
});

test('the SIGINT listener is added on the next turn of the event loop and removed by release', async () => {
  const before = process.listenerCount('SIGINT');
  const flag = watchForStop();
  assert.equal(process.listenerCount('SIGINT'), before, 'not during the synchronous part (tslab breakOnSigint)');
  await nextTurn();
  assert.equal(process.listenerCount('SIGINT'), before + 1);
  flag.release();
  assert.equal(process.listenerCount('SIGINT'), before);
  const early = watchForStop();
  early.release(); // released before its listener was added: none is added later
  await nextTurn();
  assert.equal(process.listenerCount('SIGINT'), before);
});

/** A child that works in 5 ms steps until a SIGINT stops it, reports the error, then waits to be killed. */
const CHILD = `
const { watchForStop } = require(${JSON.stringify(path.join(__dirname, '../src/interrupt'))});
const flag = watchForStop();
let step = 0;
setImmediate(() => console.log('ready'));
const timer = setInterval(() => {
  try {
    flag.check(step, 1e9);
    step++;
  } catch (err) {
    clearInterval(timer);
    flag.release();
    console.log(String(err));
    console.log('released');
    setInterval(() => {}, 1000); // stays alive until the next SIGINT ends it
  }
}, 5);
`;

test('a real SIGINT stops the work, and once released SIGINT ends the process as Node does by default', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const seen = (text: string): Promise<void> =>
    new Promise((resolve) => {
      const look = (): void => {
        if (out.includes(text)) resolve();
        else
          child.stdout.once('data', (d: Buffer) => {
            out += d.toString();
            look();
          });
      };
      look();
    });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  await seen('ready');
  await new Promise((resolve) => setTimeout(resolve, 50));
  child.kill('SIGINT');
  await seen('released');
  assert.match(out, /^InterruptedError: training interrupted at step \d+ of 1000000000$/m);
  child.kill('SIGINT');
  const end = await exited;
  assert.equal(end.signal, 'SIGINT', `exit ${end.code}: ${err}`);
});
