import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../src/backend';
import { DownloadError } from '../src/data/download';
import { errorLine, exitCodeOf } from '../src/entry';
import { UsageError } from '../src/errors';

test("exit code 2 for what the user fixes (UsageError and its kinds), 1 for a failure of the program's own", () => {
  assert.equal(exitCodeOf(new UsageError('--hidden must be a whole number')), 2);
  assert.equal(exitCodeOf(new DownloadError('http://127.0.0.1:1/x.gz', 'connection refused')), 2);
  assert.equal(exitCodeOf(new TypeError("Cannot read properties of undefined (reading 'backend')")), 1);
  assert.equal(exitCodeOf(new Error('out of memory')), 1);
  assert.equal(exitCodeOf('a thrown string'), 1);
});

test('an error is one line: the program, then the first line of the message, no stack', () => {
  assert.equal(errorLine('tutorial', new Error('first\n    at somewhere')), 'tutorial: first');
  assert.equal(errorLine('runs', 'plain'), 'runs: plain');
});

test("file-system errors are the user's to fix: exit 2, and a line that says what went wrong in words", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rnn-entry-'));
  try {
    const caught = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return e;
      }
      throw new Error('expected an error');
    };
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'x');
    // Real errors from the operating system, each of a kind a careless path produces.
    const isDir = caught(() => readFileSync(dir)); // a folder where a data file should be
    const notDir = caught(() => writeFileSync(path.join(file, 'record.json'), '{}')); // --runs-dir that is a file
    const missing = caught(() => readFileSync(path.join(dir, 'nope.gz')));
    const full = caught(() => writeFileSync('/dev/full', 'x')); // the kernel's always-full device
    for (const e of [isDir, notDir, missing, full]) assert.equal(exitCodeOf(e), 2, String(e));
    assert.equal(
      errorLine('tutorial', isDir),
      `tutorial: a folder where a file was expected (EISDIR: illegal operation on a directory, read)`,
    );
    assert.match(
      errorLine('tutorial', notDir),
      /^tutorial: a file where a folder was expected \(ENOTDIR: not a directory, open '.*a-file\/record\.json'\)$/,
    );
    assert.match(
      errorLine('runs', missing),
      /^runs: no such file or folder \(ENOENT: no such file or directory, open '.*nope\.gz'\)$/,
    );
    assert.match(
      errorLine('tutorial', full),
      /^tutorial: the disk is full( at \/dev\/full)? \(ENOSPC: no space left on device, write\)$/,
    );
    // An error with a code the user cannot fix stays a failure of the program.
    assert.equal(exitCodeOf(Object.assign(new Error('boom'), { code: 'ERR_ASSERTION' })), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a backend out of memory is the settings being too large: exit 2, one line that says so and keeps the original', async () => {
  // A real failure inside the wasm heap (4 GiB): 256 MiB tensors until it is full. (One allocation
  // past the end can also go unnoticed and overwrite other tensors, which is why settings.ts
  // refuses sizes that would get there.)
  await setupBackend({ backend: 'wasm' });
  let wasmError: unknown;
  const held: tf.Tensor[] = [];
  try {
    for (let k = 0; k < 32 && wasmError === undefined; k++) {
      const t = tf.fill([64 * 1024 * 1024], 1);
      held.push(tf.add(t, 1));
      t.dispose();
    }
  } catch (e) {
    wasmError = e;
  }
  tf.dispose(held);
  assert.ok(wasmError instanceof Error, 'the wasm heap took 8 GB');
  assert.equal(exitCodeOf(wasmError), 2);
  assert.match(
    errorLine('tutorial', wasmError),
    /^tutorial: the wasm backend ran out of its 4\.3 GB heap; try a smaller --batch-size, --units or --layers, or the tensorflow backend \((memory access out of bounds|Aborted\(\)|offset is out of bounds)/,
  );
  // tfjs-node's message for libtensorflow's RESOURCE_EXHAUSTED, as `--hidden 8000` produced it.
  const exhausted = new Error('Invalid TF_Status: 8\nMessage: OOM when allocating tensor');
  assert.equal(exitCodeOf(exhausted), 2);
  assert.equal(
    errorLine('tutorial', exhausted),
    'tutorial: libtensorflow ran out of memory (resource exhausted); try a smaller --batch-size, --units or --layers (Invalid TF_Status: 8)',
  );
});
