/** Runs the real CLI in a child process, as a user would (in a temporary current directory, where runs/ goes). */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setupBackend } from '../src/backend';
import { loadMnist } from '../src/data';
import { formatIterLine, formatTestingLine } from '../src/format';
import { loadModel } from '../src/models';
import { parseRunRecord } from '../src/runs';
import { evaluate } from '../src/train';
import { tensorflowUnavailable } from './backends';

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
    const records = existsSync(runsDir)
      ? readdirSync(runsDir).map((f) => JSON.parse(readFileSync(path.join(runsDir, f), 'utf8')) as unknown)
      : [];
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, records };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

const SHORT = ['--data', 'bundled', '--batch-size', '32', '--units', '8', '--backend', 'cpu'];

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
    'backend',
    'cell',
    'data',
    'examplesSeen',
    'init',
    'model',
    'record',
    'runId',
    'savedModel',
    'seconds',
    'testAccuracy',
    'testAccuracy128',
    'testSize',
    'testingAccuracy',
    'trainSize',
  ]);
  assert.equal(summary.backend, 'cpu');
  assert.equal(summary.data, 'bundled');
  assert.equal(summary.model, 'fused LSTM');
  assert.equal(summary.cell, 'lstm');
  assert.equal(summary.init, 'tutorial', "the tutorial's own initial weights by default");
  assert.equal(summary.examplesSeen, 640);
  assert.equal(summary.trainSize, 8500);
  assert.equal(summary.testSize, 1000);
  assert.equal(summary.savedModel, null);
  assert.equal(lines[3], formatTestingLine(summary.testingAccuracy as number));
  assert.equal(summary.testAccuracy128, summary.testingAccuracy, 'the older name still carries the value');
  assert.match(r.stderr, /^backend: cpu \(requested\)$/m);
  assert.match(r.stderr, /^data: bundled digits/m);
  assert.match(r.stderr, /^run record: runs\/\d{8}-\d{6}-lstm-u8-[0-9a-f]{4}\.json$/m);
  assert.doesNotMatch(r.stderr, /\r/, 'no progress bar when stderr is not a terminal');

  assert.equal(r.records.length, 1);
  const record = parseRunRecord(r.records[0]);
  assert.equal(summary.record, `runs/${record.id}.json`);
  assert.equal(summary.runId, record.id);
  assert.equal(record.label, 'npm run tutorial');
  assert.deepEqual(
    [record.config.kind, record.config.cell, record.config.units, record.config.seed, record.config.trainingIters],
    ['fused', 'lstm', 8, 3, 641],
  );
  assert.deepEqual(
    record.history.map((p) => formatIterLine(p.examplesSeen, p.loss, p.accuracy)),
    lines.slice(0, 2),
    'the record holds the printed numbers',
  );
  assert.equal(record.result.testAccuracy, summary.testAccuracy);
});

test('--clip-norm goes into the run record; with a bound no gradient reaches, the log is the unclipped one', () => {
  const args = [...SHORT, '--training-iters', '161', '--display-step', '2', '--seed', '5'];
  const plain = run(args);
  const loose = run([...args, '--clip-norm', '1e30']);
  const tight = run([...args, '--clip-norm', '0.01']);
  for (const r of [plain, loose, tight]) assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(
    [plain, loose, tight].map((r) => parseRunRecord(r.records[0]).config.clipNorm),
    [0, 1e30, 0.01],
  );
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
    const r = run([
      ...SHORT,
      '--units',
      '4',
      '--training-iters',
      '97',
      '--display-step',
      '1',
      '--cell',
      'gru',
      '--layers',
      '2',
      '--bidirectional',
      '--save',
      modelDir,
      '--runs-dir',
      runsDir,
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.records.length, 0, 'not in runs/ when --runs-dir moves it');
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    assert.equal(summary.model, '2 x tf.layers.gru, bidirectional');
    assert.equal(summary.savedModel, modelDir);
    assert.match(r.stderr, new RegExp(`^model saved to ${modelDir}$`, 'm'));
    const files = readdirSync(runsDir);
    assert.equal(files.length, 1);
    const record = parseRunRecord(JSON.parse(readFileSync(path.join(runsDir, files[0]!), 'utf8')));
    assert.deepEqual(
      [record.config.cell, record.config.kind, record.config.layers, record.config.bidirectional, record.savedModel],
      ['gru', 'layers', 2, true, modelDir],
    );

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

test('on tensorflow: the same log format, summary and record say tensorflow, and the saved model loads on wasm', {
  skip: tensorflowUnavailable() !== undefined && `tfjs-node does not load (${tensorflowUnavailable()})`,
}, async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'rnn-cli-tf-'));
  try {
    const modelDir = path.join(out, 'model');
    const runsDir = path.join(out, 'runs');
    const r = run([
      '--data',
      'bundled',
      '--batch-size',
      '32',
      '--hidden',
      '8',
      '--backend',
      'tensorflow',
      '--training-iters',
      '641',
      '--seed',
      '3',
      '--save',
      modelDir,
      '--runs-dir',
      runsDir,
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^Iter 320, Minibatch Loss= \d+\.\d{6}, Training Accuracy= \d\.\d{5}$/);
    assert.equal(lines[2], 'Optimization Finished!');
    const summary = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    assert.equal(summary.backend, 'tensorflow');
    assert.equal(summary.model, 'fused LSTM');
    assert.match(
      r.stderr,
      /^backend: tensorflow \(requested; (oneDNN at full speed, signals kept off its threads|oneDNN capped at AVX, .+); LSTM on (the project's kernel \(\w+, \d+ threads?\)|libtensorflow's ops \(.+\))\)$/m,
    );
    const files = readdirSync(runsDir);
    const record = parseRunRecord(JSON.parse(readFileSync(path.join(runsDir, files[0]!), 'utf8')));
    assert.equal(record.backend, 'tensorflow');

    await setupBackend({ backend: 'wasm' });
    const data = await loadMnist({ source: 'bundled', seed: 0 });
    const model = await loadModel(modelDir);
    // Other kernels, other rounding: a digit on the fence may flip, no more.
    const accuracy = evaluate(model, data.test, 500).accuracy;
    assert.ok(
      Math.abs(accuracy - (summary.testAccuracy as number)) <= 0.002,
      `wasm ${accuracy} vs tensorflow ${String(summary.testAccuracy)}`,
    );
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
// A saved model's folder that also holds a learner's notes and plots: saving there would delete them.
const modelWithNotes = mkdtempSync(path.join(tmpdir(), 'rnn-cli-notes-'));
for (const [name, text] of [
  ['model.json', '{}'],
  ['weights.bin', ''],
  ['NOTES.md', 'mine'],
] as const)
  writeFileSync(path.join(modelWithNotes, name), text);
mkdirSync(path.join(modelWithNotes, 'plots'));
after(() => {
  rmSync(modelWithNotes, { recursive: true, force: true });
});

for (const [args, message] of [
  [['--lr', 'fast'], /^tutorial: --lr must be a finite number > 0, got "fast" \(see --help\)$/],
  [['--batch-size', '0'], /^tutorial: --batch-size must be a whole number >= 1, got 0 \(see --help\)$/],
  [
    ['--training-iters', '1280.5'],
    /^tutorial: --training-iters must be a whole number >= 1, got 1280.5 \(see --help\)$/,
  ],
  [['--backend', 'gpu'], /--backend must be one of auto, tensorflow, wasm, cpu, got "gpu"/],
  [['--kind', 'gru'], /^tutorial: --kind must be one of fused, layers, basic, got "gru" \(see --help\)$/],
  [['--init', 'he'], /^tutorial: --init must be one of tutorial, keras, got "he" \(see --help\)$/],
  [
    ['--cell', 'gru', '--init', 'tutorial'],
    /^tutorial: --init "tutorial" is the tutorial's initialisation of one LSTM layer in one direction; use --init "keras" for --cell "gru" \(see --help\)$/,
  ],
  [
    ['--kind', 'basic', '--init', 'keras'],
    /^tutorial: --kind "basic" is the tutorial's own model and starts from its initialisation; --init "keras" goes with --kind "fused" or "layers" \(see --help\)$/,
  ],
  [['--model', 'gru'], /^tutorial: --model must be one of fused, layers, basic, got "gru" \(see --help\)$/],
  [
    ['--model', 'basic', '--kind', 'basic'],
    /^tutorial: --model and --kind are one setting \(--model is the older name\); give one \(see --help\)$/,
  ],
  [['--hidden', '8', '--units', '8'], /^tutorial: --hidden and --units are one setting/],
  [['--units', '0'], /^tutorial: --units must be a whole number >= 1, got 0 \(see --help\)$/],
  [['--hidden', '0'], /^tutorial: --hidden must be a whole number >= 1, got 0 \(see --help\)$/],
  [
    ['--cell', 'gru', '--kind', 'basic'],
    /^tutorial: --kind "basic" is an LSTM implementation; --cell "gru" is built with tf.layers \(--kind "layers"\) \(see --help\)$/,
  ],
  [['--cell', 'rnn'], /--cell must be one of lstm, gru, simple-rnn, got "rnn"/],
  [
    ['--cell', 'gru', '--model', 'fused'],
    /^tutorial: --model "fused" is an LSTM implementation; --cell "gru" is built with tf.layers \(--model "layers"\) \(see --help\)$/,
  ],
  [['--cell', 'simple-rnn', '--model', 'basic'], /--model "basic" is an LSTM implementation; --cell "simple-rnn"/],
  [
    ['--model', 'basic', '--layers', '2'],
    /^tutorial: --model "basic" \(the tutorial's BasicLSTMCell\) is one layer in one direction; use --model "fused" or "layers" for --layers 2 \(see --help\)$/,
  ],
  [
    ['--model', 'basic', '--bidirectional'],
    /one layer in one direction; use --model "fused" or "layers" for --bidirectional \(see --help\)$/,
  ],
  [['--layers', '0'], /--layers must be a whole number >= 1, got 0/],
  [
    ['--clip-norm=-1'],
    /^tutorial: --clip-norm must be a finite number >= 0 \(0: no clipping\), got -1 \(see --help\)$/,
  ],
  [['--clip-norm', 'big'], /--clip-norm must be a finite number >= 0 \(0: no clipping\), got "big"/],
  [['--no-record', '--runs-dir', 'x'], /--runs-dir and --no-record contradict each other/],
  [['--save', ''], /--save must name a folder, got ""/],
  [['--save', aFile, '--data', 'bundled', '--backend', 'cpu'], /exists and is not a folder; cannot save a model there/],
  [['--frobnicate'], /Unknown option '--frobnicate'/],
  // 1e309 is Infinity as a number: quoted as written, not as "null" or "Infinity".
  [['--lr', '1e309'], /^tutorial: --lr must be a finite number > 0, got "1e309" \(see --help\)$/],
  // The tutorial's loop makes ceil(128 / 128) - 1 = 0 steps: an untrained model's test is no result.
  [
    ['--training-iters', '128'],
    /^tutorial: --training-iters 128 with --batch-size 128 makes no training step .*; give more than 128 \(see --help\)$/,
  ],
  // The bundled training split has 8,500 digits; the error names the flag, not the library's batchSize.
  [
    ['--batch-size', '8501', '--training-iters', '20000', '--data', 'bundled', '--backend', 'cpu'],
    /^tutorial: --batch-size 8501 is larger than the training split \(8500 examples\)$/,
  ],
  [
    ['--save', modelWithNotes, '--data', 'bundled', '--backend', 'cpu'],
    /holds a saved model and also NOTES\.md, plots; saving replaces the whole folder/,
  ],
  [['--data', '/nonexistent/mnist', '--backend', 'cpu'], /MNIST directory \/nonexistent\/mnist does not exist/],
] as const) {
  test(`bad input ${args.join(' ')} exits 2 with one line`, () => {
    const r = run([...args]);
    assert.equal(r.status, 2);
    const errorLines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('tutorial:'));
    assert.equal(errorLines.length, 1, r.stderr);
    assert.match(errorLines[0]!, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(r.stdout, '');
    assert.equal(r.records.length, 0);
  });
}

test('--save refused on a folder with other files leaves every file in place', () => {
  const before = readdirSync(modelWithNotes).sort();
  const r = run(['--save', modelWithNotes, '--data', 'bundled', '--backend', 'cpu', '--training-iters', '256']);
  assert.equal(r.status, 2, r.stderr);
  assert.deepEqual(readdirSync(modelWithNotes).sort(), before);
  assert.equal(readFileSync(path.join(modelWithNotes, 'NOTES.md'), 'utf8'), 'mine');
});

for (const [what, args, message] of [
  [
    'a flag that does not parse',
    ['--lr', 'fast'],
    /^tutorial: --lr must be a finite number > 0, got "fast" \(see --help\)$/,
  ],
  [
    'missing data, found after the flags parsed',
    ['--data', '/nonexistent/mnist', '--backend', 'cpu'],
    /^tutorial: MNIST directory \/nonexistent\/mnist does not exist/,
  ],
] as const) {
  test(`--json: ${what} still ends stdout with one JSON line holding the error and the exit code`, () => {
    const r = run([...args, '--json']);
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1, r.stdout);
    const parsed = JSON.parse(lines[0]!) as { error: string; exitCode: number };
    assert.equal(parsed.exitCode, 2);
    assert.match(parsed.error, message);
    // The same line as on stderr, so a script and a person read the same words.
    assert.ok(r.stderr.includes(parsed.error), r.stderr);
  });
}

test('--help prints the flags and exits 0', () => {
  const r = run(['--help']);
  assert.equal(r.status, 0);
  for (const flag of [
    '--data',
    '--training-iters',
    '--batch-size',
    '--display-step',
    '--lr',
    '--units',
    '--hidden',
    '--seed',
    '--backend',
    '--json',
    '--cell',
    '--layers',
    '--bidirectional',
    '--kind',
    '--model',
    '--save',
    '--runs-dir',
    '--no-record',
    '--clip-norm',
  ]) {
    assert.ok(r.stdout.includes(flag), flag);
  }
  assert.match(r.stdout, /the only one for gru and simple-rnn/);
});

/** The CLI in the background: resolves with its exit, and `whenStdout(re)` once stdout matches. */
function startCli(
  args: string[],
  cwd: string,
): {
  child: ChildProcess;
  exited: Promise<{ code: number | null; stdout: string; stderr: string; exitedAt: number }>;
  whenStdout(re: RegExp): Promise<void>;
} {
  const child = spawn(process.execPath, ['--import', tsx, cli, ...args], {
    cwd,
    env: { ...process.env, RNN_CACHE_DIR: path.join(cwd, 'cache'), RNN_BACKEND: '' },
  });
  let stdout = '';
  let stderr = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const w of [...waiters]) {
      if (!w.re.test(stdout)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string; exitedAt: number }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr, exitedAt: performance.now() })),
  );
  return {
    child,
    exited,
    whenStdout: (re) => new Promise<void>((resolve) => (re.test(stdout) ? resolve() : waiters.push({ re, resolve }))),
  };
}

test('Ctrl-C stops training at the next step: one line saying where, a record marked interrupted, exit 130', {
  timeout: 120_000,
}, async (t) => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'rnn-cli-int-'));
  try {
    const cli = startCli([...SHORT, '--display-step', '1', '--json'], cwd);
    await cli.whenStdout(/^Iter 96, /m);
    const sent = performance.now();
    cli.child.kill('SIGINT');
    const r = await cli.exited;
    assert.equal(r.code, 130, r.stderr);
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('tutorial:'));
    assert.equal(lines.length, 1, r.stderr);
    const m =
      /^tutorial: training interrupted at step (\d+) of 3124 \(Ctrl-C\); run record \(marked interrupted\): (runs\/\S+\.json)$/.exec(
        lines[0] ?? '',
      );
    assert.ok(m, lines[0]);
    const step = Number(m[1]);
    assert.ok(step >= 3 && step < 3124);
    assert.doesNotMatch(
      r.stdout,
      /Optimization Finished|Testing Accuracy|"testAccuracy/,
      'no testing, no summary after the stop',
    );
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '');
    assert.deepEqual(last, { error: lines[0], exitCode: 130 }, '--json: the failure as the last line');
    const logged = r.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('Iter '));
    assert.equal(logged.length, step, 'every completed step was logged, no more');
    const record = parseRunRecord(JSON.parse(readFileSync(path.join(cwd, m[2] as string), 'utf8')));
    assert.deepEqual(record.interrupted, { step, steps: 3124 });
    assert.equal(record.history.length, step);
    assert.ok(Number.isNaN(record.result.testAccuracy), 'never tested');
    t.diagnostic(`exited ${((r.exitedAt - sent) / 1000).toFixed(3)} s after Ctrl-C, at step ${step}`);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('a second Ctrl-C exits at once', { timeout: 120_000 }, async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'rnn-cli-int2-'));
  try {
    const cli = startCli([...SHORT, '--display-step', '1'], cwd);
    await cli.whenStdout(/^Iter 64, /m);
    cli.child.kill('SIGINT');
    cli.child.kill('SIGINT');
    const r = await cli.exited;
    assert.equal(r.code, 130);
    assert.match(
      r.stderr,
      /^tutorial: (second Ctrl-C: exiting now|training interrupted at step \d+ of \d+ \(Ctrl-C\).*)$/m,
    );
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('a runaway learning rate stops with one line naming the step and the cause, exit 2, no record', () => {
  const r = run([
    '--data',
    'bundled',
    '--batch-size',
    '16',
    '--hidden',
    '8',
    '--backend',
    'cpu',
    '--model',
    'basic',
    '--lr',
    '1e38',
    '--training-iters',
    '1600',
    '--display-step',
    '1',
  ]);
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('tutorial:'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0] ?? '',
    /^tutorial: training diverged at step \d+ of 99: the loss is (NaN|infinite); the learning rate \(1e\+38\) is likely too high \(the tutorial's is 0\.001\), or clip the gradients \(clipNorm\)$/,
  );
  assert.equal(r.records.length, 0);
});

for (const [args, message] of [
  [
    ['--units', '100000'],
    /^tutorial: --units 100000 needs a \[100000, 400000\] weight tensor of 4\.0e\+10 numbers; one tensor holds at most 4\.3e\+9 \(2\^32\) \(see --help\)$/,
  ],
  [
    ['--hidden', '30000'],
    /^tutorial: --hidden 30000 needs about \d+(\.\d)? GB for 3\.6e\+9 weights, their gradients and Adam's moments; this machine has \d+(\.\d)? GB \(see --help\)$/,
  ],
  [
    ['--batch-size', '100000000', '--training-iters', '1000000000'],
    /^tutorial: --batch-size 100000000 with --units 128 needs about \d+ GB for one training step; this machine has/,
  ],
] as const) {
  test(`a model or batch too large for this machine: ${args.join(' ')} is one line before any work`, () => {
    const r = run([...args]);
    assert.equal(r.status, 2);
    assert.match(r.stderr.trim(), message);
    assert.equal(r.stdout, '');
  });
}

// Sizes that pass against the machine's memory but not against the wasm heap (each crashed inside
// wasm before: "memory access out of bounds", "offset is out of bounds", "Aborted()"): refused once
// the backend is known, before the data loads, naming every flag that contributes and the heap.
for (const [args, message] of [
  [
    ['--hidden', '8000'],
    /^tutorial: --batch-size 128 with --hidden 8000 needs about \d+(\.\d)? GB for one training step; the wasm backend holds at most 4\.3 GB/,
  ],
  [
    ['--layers', '50'],
    /^tutorial: --batch-size 128 with --units 128, --layers 50 needs about \d+(\.\d)? GB for one training step; the wasm backend holds at most 4\.3 GB \(its WebAssembly heap; the tensorflow backend has the machine's \d+(\.\d)? GB\)$/,
  ],
  [
    ['--batch-size', '8500', '--training-iters', '17000'],
    /^tutorial: --batch-size 8500 with --units 128 needs about \d+(\.\d)? GB for one training step; the wasm backend holds at most 4\.3 GB/,
  ],
] as const) {
  test(`too large for the wasm heap: ${args.join(' ')} --backend wasm is one line, before the data loads`, () => {
    const r = run(['--backend', 'wasm', '--data', 'bundled', ...args]);
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.match(lines[0] ?? '', /^backend: wasm/);
    assert.equal(lines.length, 2, r.stderr);
    assert.match(lines[1] ?? '', message);
    assert.equal(r.stdout, '');
    assert.equal(r.records.length, 0);
  });
}

test('two runs writing to one runs folder at the same time give two intact records', { timeout: 120_000 }, async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'rnn-cli-two-'));
  try {
    const args = [
      ...SHORT,
      '--training-iters',
      '161',
      '--display-step',
      '1',
      '--runs-dir',
      path.join(cwd, 'shared-runs'),
    ];
    const [a, b] = await Promise.all([startCli(args, cwd).exited, startCli(args, cwd).exited]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const files = readdirSync(path.join(cwd, 'shared-runs'));
    assert.equal(files.length, 2, files.join(', '));
    const records = files.map((f) =>
      parseRunRecord(JSON.parse(readFileSync(path.join(cwd, 'shared-runs', f), 'utf8'))),
    );
    assert.notEqual(records[0]?.id, records[1]?.id);
    assert.deepEqual(
      records.map((r) => r.history.length),
      [5, 5],
    );
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('a runs folder that cannot be written: the results are printed, then one line naming it, exit 2', () => {
  // As root a chmod does not stop writes; /sys refuses new folders to everyone.
  const runsDir =
    process.getuid?.() === 0
      ? '/sys/rnn-notebooks-runs'
      : path.join(mkdtempSync(path.join(tmpdir(), 'rnn-ro-')), 'locked');
  if (process.getuid?.() !== 0) {
    mkdirSync(runsDir, { mode: 0o555 });
  }
  const r = run([...SHORT, '--training-iters', '97', '--display-step', '1', '--runs-dir', runsDir, '--json']);
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines.at(-2) ?? '', /^Testing Accuracy: \d\.\d{6}$/);
  const summary = JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>;
  assert.equal(summary.record, null);
  assert.equal(typeof summary.testAccuracy, 'number');
  assert.match(
    r.stderr.trim().split('\n').at(-1) ?? '',
    new RegExp(
      `^tutorial: cannot write the run record ${runsDir}/\\S+\\.json: the folder cannot be written \\((EACCES|EPERM|EROFS)\\)$`,
    ),
  );
});
