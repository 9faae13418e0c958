/** Runs the real CLI in a child process, as a user would (in a temporary current directory, where runs/ goes). */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setupBackend } from '../src/backend';
import { loadMnist } from '../src/data';
import { formatIterLine, formatTestingLine } from '../src/format';
import { loadModel } from '../src/models';
import { parseRunRecord } from '../src/runs';
import { evaluate } from '../src/train';

const cli = path.join(__dirname, '..', 'src', 'cli.ts');
// tsx by path: `--import tsx` would resolve from the (temporary) current directory.
const tsx = pathToFileURL(require.resolve('tsx')).href;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The run records written to <cwd>/runs, parsed. */
  readonly records: readonly unknown[];
}

function run(args: string[], env: Record<string, string> = {}): Run {
  const cwd = mkdtempSync(path.join(tmpdir(), 'rnn-cli-'));
  try {
    const r = spawnSync(process.execPath, ['--import', tsx, cli, ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, RNN_CACHE_DIR: path.join(cwd, 'cache'), RNN_BACKEND: '', ...env },
      timeout: 10 * 60_000,
    });
    const runsDir = path.join(cwd, 'runs');
    const records = existsSync(runsDir) ? readdirSync(runsDir).map((f) => JSON.parse(readFileSync(path.join(runsDir, f), 'utf8')) as unknown) : [];
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, records };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

const SHORT = ['--data', 'bundled', '--batch-size', '32', '--hidden', '8', '--backend', 'cpu'];

test('a short run prints the seed log, ends with the JSON summary and writes a run record to runs/', () => {
  const r = run([...SHORT, '--training-iters', '641', '--display-step', '10', '--seed', '3', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /^Iter 320, Minibatch Loss= \d+\.\d{6}, Training Accuracy= \d\.\d{5}$/);
  assert.match(lines[1]!, /^Iter 640, Minibatch Loss= /);
  assert.equal(lines[2], 'Optimization Finished!');
  assert.match(lines[3]!, /^Testing Accuracy: \d\.\d{6}$/);
  const summary = JSON.parse(lines[4]!) as Record<string, unknown>;
  assert.deepEqual(Object.keys(summary).sort(), [
    'backend', 'cell', 'data', 'examplesSeen', 'model', 'record', 'runId', 'savedModel', 'seconds', 'testAccuracy', 'testAccuracy128', 'testSize', 'trainSize',
  ]);
  assert.equal(summary.backend, 'cpu');
  assert.equal(summary.data, 'bundled');
  assert.equal(summary.model, 'fused LSTM');
  assert.equal(summary.cell, 'lstm');
  assert.equal(summary.examplesSeen, 640);
  assert.equal(summary.trainSize, 8500);
  assert.equal(summary.testSize, 1000);
  assert.equal(summary.savedModel, null);
  assert.equal(lines[3], formatTestingLine(summary.testAccuracy128 as number));
  assert.match(r.stderr, /^backend: cpu \(requested\)$/m);
  assert.match(r.stderr, /^data: bundled digits/m);
  assert.match(r.stderr, /^run record: runs\/\d{8}-\d{6}-lstm-u8-[0-9a-f]{4}\.json$/m);
  assert.doesNotMatch(r.stderr, /\r/, 'no progress bar when stderr is not a terminal');

  assert.equal(r.records.length, 1);
  const record = parseRunRecord(r.records[0]);
  assert.equal(summary.record, `runs/${record.id}.json`);
  assert.equal(summary.runId, record.id);
  assert.equal(record.label, 'npm run tutorial');
  assert.deepEqual([record.config.kind, record.config.cell, record.config.units, record.config.seed, record.config.trainingIters], ['fused', 'lstm', 8, 3, 641]);
  assert.deepEqual(record.history.map((p) => formatIterLine(p.examplesSeen, p.loss, p.accuracy)), lines.slice(0, 2), 'the record holds the printed numbers');
  assert.equal(record.result.testAccuracy, summary.testAccuracy);
});

test('--clip-norm goes into the run record; with a bound no gradient reaches, the log is the unclipped one', () => {
  const args = [...SHORT, '--training-iters', '161', '--display-step', '2', '--seed', '5'];
  const plain = run(args);
  const loose = run([...args, '--clip-norm', '1e30']);
  const tight = run([...args, '--clip-norm', '0.01']);
  for (const r of [plain, loose, tight]) assert.equal(r.status, 0, r.stderr);
  assert.deepEqual([plain, loose, tight].map((r) => parseRunRecord(r.records[0]).config.clipNorm), [0, 1e30, 0.01]);
  assert.equal(loose.stdout, plain.stdout);
  assert.notEqual(tight.stdout, plain.stdout);
});

test('the same seed gives the same log; --no-record writes no record', () => {
  const args = [...SHORT, '--training-iters', '321', '--display-step', '5', '--seed', '4'];
  const a = run(args);
  const b = run([...args, '--no-record']);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  assert.equal(a.stdout, b.stdout);
  assert.equal(a.records.length, 1);
  assert.equal(b.records.length, 0);
  assert.doesNotMatch(b.stderr, /run record/);
});

test('--cell gru --layers 2 --bidirectional --save DIR --runs-dir DIR: the saved model reloads with the reported accuracy', async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'rnn-cli-out-'));
  try {
    const modelDir = path.join(out, 'models', 'gru');
    const runsDir = path.join(out, 'my-runs');
    const r = run([...SHORT, '--hidden', '4', '--training-iters', '97', '--display-step', '1', '--cell', 'gru', '--layers', '2', '--bidirectional', '--save', modelDir, '--runs-dir', runsDir, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.records.length, 0, 'not in runs/ when --runs-dir moves it');
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    assert.equal(summary.model, '2 x tf.layers.gru, bidirectional');
    assert.equal(summary.savedModel, modelDir);
    assert.match(r.stderr, new RegExp(`^model saved to ${modelDir}$`, 'm'));
    const files = readdirSync(runsDir);
    assert.equal(files.length, 1);
    const record = parseRunRecord(JSON.parse(readFileSync(path.join(runsDir, files[0]!), 'utf8')));
    assert.deepEqual([record.config.cell, record.config.kind, record.config.layers, record.config.bidirectional, record.savedModel], ['gru', 'layers', 2, true, modelDir]);

    await setupBackend({ backend: 'cpu' });
    const data = await loadMnist({ source: 'bundled', seed: 0 });
    const model = await loadModel(modelDir);
    assert.equal(model.name, summary.model);
    assert.equal(model.metadata.runId, record.id);
    assert.equal(evaluate(model, data.test, 500).accuracy, summary.testAccuracy);
    model.dispose();
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

// A file where --save wants a folder (made now: the test names below include its path).
const aFile = path.join(mkdtempSync(path.join(tmpdir(), 'rnn-cli-file-')), 'file');
writeFileSync(aFile, 'x');
after(() => {
  rmSync(path.dirname(aFile), { recursive: true, force: true });
});

for (const [args, message] of [
  [['--lr', 'fast'], /--lr must be a positive number, got "fast"/],
  [['--batch-size', '0'], /--batch-size must be a whole number >= 1, got "0"/],
  [['--training-iters', '1e5'], /--training-iters must be a whole number >= 1, got "1e5"/],
  [['--backend', 'gpu'], /--backend must be one of auto, tensorflow, wasm, cpu, got "gpu"/],
  [['--model', 'gru'], /--model must be one of fused, layers, seed, got "gru"/],
  [['--cell', 'rnn'], /--cell must be one of lstm, gru, simple-rnn, got "rnn"/],
  [['--cell', 'gru', '--model', 'fused'], /--model fused is an LSTM implementation; --cell gru runs on tf.layers \(drop --model or use --model layers\)/],
  [['--cell', 'simple-rnn', '--model', 'seed'], /--model seed is an LSTM implementation; --cell simple-rnn runs on tf.layers/],
  [['--model', 'seed', '--layers', '2'], /--model seed is the seed's single BasicLSTMCell; use --model fused or layers with --layers/],
  [['--model', 'seed', '--bidirectional'], /--model seed is the seed's single BasicLSTMCell; use --model fused or layers with --bidirectional/],
  [['--layers', '0'], /--layers must be a whole number >= 1, got "0"/],
  [['--clip-norm=-1'], /--clip-norm must be a number >= 0 \(0: off\), got "-1"/],
  [['--clip-norm', 'big'], /--clip-norm must be a number >= 0 \(0: off\), got "big"/],
  [['--no-record', '--runs-dir', 'x'], /--runs-dir and --no-record contradict each other/],
  [['--save', ''], /--save must name a folder, got ""/],
  [['--save', aFile, '--data', 'bundled', '--backend', 'cpu'], /exists and is not a folder; cannot save a model there/],
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
    assert.equal(r.records.length, 0);
  });
}

test('--help prints the flags and exits 0', () => {
  const r = run(['--help']);
  assert.equal(r.status, 0);
  for (const flag of ['--data', '--training-iters', '--batch-size', '--display-step', '--lr', '--hidden', '--seed', '--backend', '--json', '--cell', '--layers', '--bidirectional', '--model', '--save', '--runs-dir', '--no-record', '--clip-norm']) {
    assert.ok(r.stdout.includes(flag), flag);
  }
  assert.match(r.stdout, /gru and simple-rnn run on tf\.layers/);
});
