/** Runs the real CLI in a child process, as a user would. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatTestingLine } from '../src/format';

const cli = path.join(__dirname, '..', 'src', 'cli.ts');

function run(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const cache = mkdtempSync(path.join(tmpdir(), 'rnn-cli-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
      encoding: 'utf8',
      env: { ...process.env, RNN_CACHE_DIR: cache, RNN_BACKEND: '', ...env },
      timeout: 10 * 60_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

test('a short run prints the seed log and ends with the JSON summary', () => {
  const r = run(['--data', 'bundled', '--training-iters', '641', '--batch-size', '32', '--display-step', '10', '--hidden', '8', '--backend', 'cpu', '--seed', '3', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /^Iter 320, Minibatch Loss= \d+\.\d{6}, Training Accuracy= \d\.\d{5}$/);
  assert.match(lines[1]!, /^Iter 640, Minibatch Loss= /);
  assert.equal(lines[2], 'Optimization Finished!');
  assert.match(lines[3]!, /^Testing Accuracy: \d\.\d{6}$/);
  const summary = JSON.parse(lines[4]!) as Record<string, unknown>;
  assert.deepEqual(Object.keys(summary).sort(), ['backend', 'data', 'examplesSeen', 'model', 'seconds', 'testAccuracy', 'testAccuracy128', 'testSize', 'trainSize']);
  assert.equal(summary.backend, 'cpu');
  assert.equal(summary.data, 'bundled');
  assert.equal(summary.examplesSeen, 640);
  assert.equal(summary.trainSize, 8500);
  assert.equal(summary.testSize, 1000);
  assert.equal(lines[3], formatTestingLine(summary.testAccuracy128 as number));
  assert.match(r.stderr, /^backend: cpu \(requested\)$/m);
  assert.match(r.stderr, /^data: bundled digits/m);
  assert.doesNotMatch(r.stderr, /\r/, 'no progress bar when stderr is not a terminal');
});

test('the same seed gives the same log', () => {
  const args = ['--data', 'bundled', '--training-iters', '321', '--batch-size', '32', '--display-step', '5', '--hidden', '8', '--backend', 'cpu', '--seed', '4'];
  const a = run(args);
  const b = run(args);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(a.stdout, b.stdout);
});

for (const [args, message] of [
  [['--lr', 'fast'], /--lr must be a positive number, got "fast"/],
  [['--batch-size', '0'], /--batch-size must be a whole number >= 1, got "0"/],
  [['--training-iters', '1e5'], /--training-iters must be a whole number >= 1, got "1e5"/],
  [['--backend', 'gpu'], /--backend must be one of auto, tensorflow, wasm, cpu, got "gpu"/],
  [['--model', 'gru'], /--model must be one of fused, layers, seed, got "gru"/],
  [['--frobnicate'], /Unknown option '--frobnicate'/],
  [['--data', '/nonexistent/mnist', '--backend', 'cpu'], /MNIST directory \/nonexistent\/mnist does not exist/],
] as const) {
  test(`bad input ${args.join(' ')} exits 2 with one line`, () => {
    const r = run([...args]);
    assert.equal(r.status, 2);
    const errorLines = r.stderr.trim().split('\n').filter((l) => l.startsWith('tutorial:'));
    assert.equal(errorLines.length, 1, r.stderr);
    assert.match(errorLines[0]!, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(r.stdout, '');
  });
}

test('--help prints the flags and exits 0', () => {
  const r = run(['--help']);
  assert.equal(r.status, 0);
  for (const flag of ['--data', '--training-iters', '--batch-size', '--display-step', '--lr', '--hidden', '--seed', '--backend', '--json']) {
    assert.ok(r.stdout.includes(flag), flag);
  }
});
