/**
 * `npm run bench -- [flags]`: how long one training step and one inference batch of the seed
 * model take ([128, 28, 28] -> LSTM(128) -> dense(10), softmax cross-entropy, Adam 0.001), per
 * backend, for
 *  - stock:   tf.layers.lstm on the kernels as shipped;
 *  - kernels: tf.layers.lstm on the fixed wasm kernels (wasm only);
 *  - fast:    the fused LSTM layer on the fixed kernels (the fast path);
 * and the wall time of the whole tutorial (`node dist/cli.js --data bundled --json`) on each
 * backend measured but cpu (about 45 minutes there).
 * With `--peers`, the same model in PyTorch and TensorFlow/Keras (scripts/bench_peers.py) where a
 * Python has them ($RNN_PEERS_PYTHON, else $RNN_PYTHON, .venv/bin/python, python3), in the same
 * run, and every row's training step as a multiple of PyTorch's.
 * Each variant runs in its own child process, so kernel patches and peak RSS stay separate.
 * Every variant and peer is measured once per round (default 3), the rounds one after another, and
 * a row gives the median of its rounds' medians: a spell of load from elsewhere on a shared machine
 * then slows one round of each, not a whole row, and ratios between rows stay comparable.
 * A benchmark, not a test: nothing here asserts a time.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import {
  INTRA_OP_THREADS_ENV_VAR,
  libtensorflowSettings,
  ONEDNN_ISA_ENV_VAR,
  setupBackend,
  type BackendName,
} from '../src/backend';
import { formatTable } from '../src/format';
import { pythonCandidates } from './jupyter-env';
import { buildLayersModel } from '../src/models/build';
import { softmaxCrossEntropy } from '../src/models/classifier';
import { patchWasmKernels, unpatchWasmKernels } from '../src/kernels/wasm';
import { LSTM_KERNEL_ENV_VAR, lstmKernelInUse } from '../src/kernels/native/lstm-addon';

const USAGE = `usage: npm run bench -- [flags]
  --backends a,b     backends to try, of tensorflow, wasm, cpu (default all three; missing ones are reported)
  --variants a,b     of stock, kernels, fast (default all; kernels runs on wasm only)
  --steps N          timed steps per variant and round (default: tensorflow and the peers 100, wasm 20,
                     cpu 3, its stock step takes ~5 s)
  --rounds N         measure every variant and peer N times, interleaved, and report the median (default 3)
  --peers            also time the model in PyTorch and TensorFlow (Python from $RNN_PEERS_PYTHON, else
                     $RNN_PYTHON, .venv/bin/python, python3: the first that imports torch or tensorflow)
  --tf-threads a,b   time the tensorflow rows once per libtensorflow intra-op thread count (TF_NUM_INTRAOP_THREADS),
                     e.g. 1,2; default: as the project runs it (1 on a machine of at most 2 cores, else libtensorflow's own)
  --tf-isa a,b       time the tensorflow rows once per oneDNN instruction-set cap (ONEDNN_MAX_CPU_ISA), e.g. AVX,ALL;
                     default: as the project runs it (every ISA where the signal guard is on, else AVX on x86-64)
  --lstm-kernel a,b  time the tensorflow rows once per LSTM kernel: addon (the project's, built by npm run native),
                     libtensorflow (its own LSTM ops, RNN_LSTM_KERNEL=0); default: as the project runs it
  --skip-tutorial    do not time the full tutorial run
  --tutorial-args s  extra flags for the tutorial runs, e.g. --tutorial-args="--training-iters 1280"
  --json             one JSON object per row instead of a table`;

const BATCH = 128;
const STEPS_IN_TIME = 28;
const FEATURES = 28;
const UNITS = 128;
const CLASSES = 10;
const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];
const VARIANTS = ['stock', 'kernels', 'fast'] as const;
type Variant = (typeof VARIANTS)[number];

interface Timing {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

/** One measured (backend, variant); what a child process prints as its last line. */
interface Row {
  readonly backend: BackendName;
  readonly variant: Variant;
  readonly steps: number;
  readonly train: Timing;
  readonly infer: Timing;
  readonly trainSamplesPerSec: number;
  readonly inferSamplesPerSec: number;
  readonly peakRssMB: number;
  /** numTensors after the timed training steps minus before: 0 means no leak. */
  readonly tensorGrowth: number;
  readonly load1: readonly [number, number];
  /** tensorflow only: libtensorflow's intra-op threads (`default`: one per core) and oneDNN's ISA cap in this run. */
  readonly libtensorflow?: { readonly intraOpThreads: string; readonly onednnMaxIsa: string };
  /** The fast variant only: which kernels computed its LSTM (src/kernels/native/lstm-addon.ts). */
  readonly lstmKernel?: string;
  /** Each round's median training step (ms), when rows from several rounds were combined. */
  readonly roundMedians?: readonly number[];
}

function timing(samples: readonly number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
  const round = (x: number): number => Math.round(x * 10) / 10;
  return { medianMs: round(median), minMs: round(sorted[0] ?? NaN), maxMs: round(sorted[sorted.length - 1] ?? NaN) };
}

/** One round's rows of the same variant as one: the median of the medians, the extremes of all. */
function combineTimings(rounds: readonly Timing[]): Timing {
  const medians = timing(rounds.map((t) => t.medianMs));
  return {
    medianMs: medians.medianMs,
    minMs: Math.min(...rounds.map((t) => t.minMs)),
    maxMs: Math.max(...rounds.map((t) => t.maxMs)),
  };
}

/** A variant's or peer's rows from every round as one row; a round that failed makes the row a failure. */
function combineRounds(rounds: readonly Output[]): Output {
  const first = rounds[0];
  if (first === undefined) throw new Error('combineRounds: no rounds');
  const failed = rounds.find((o) => !isRow(o) && !isPeerRow(o));
  if (failed !== undefined) return failed;
  if (rounds.length === 1) return first;
  const train = combineTimings(rounds.map((o) => (o as Row | PeerRow).train));
  const infer = combineTimings(rounds.map((o) => (o as Row | PeerRow).infer));
  const roundMedians = rounds.map((o) => (o as Row | PeerRow).train.medianMs);
  const peakRssMB = Math.max(...rounds.map((o) => (o as Row | PeerRow).peakRssMB));
  if (isPeerRow(first)) return { ...first, train, infer, peakRssMB, roundMedians };
  const rows = rounds as readonly Row[];
  const last = rows[rows.length - 1] as Row;
  return {
    ...(first as Row),
    train,
    infer,
    peakRssMB,
    roundMedians,
    trainSamplesPerSec: Math.round((BATCH / train.medianMs) * 1000),
    inferSamplesPerSec: Math.round((BATCH / infer.medianMs) * 1000),
    tensorGrowth: Math.max(...rows.map((r) => r.tensorGrowth)),
    load1: [(first as Row).load1[0], last.load1[1]],
  };
}

/**
 * Timed steps per round. A step of ~10 ms (tensorflow, PyTorch, Keras) gets 100: a process's
 * first few dozen steps run while its memory still grows (fresh pages fault, ~15 us each on the
 * 2-core VMs here, ~200 a step), and later the pages V8 releases after a collection fault again
 * for a stretch; 20 steps land in one such stretch or another (medians 8-11 ms in one process),
 * 100 sample both, as the tutorial's 781 steps do. wasm (~80 ms) and cpu (seconds) get fewer.
 */
function defaultSteps(backend: BackendName): number {
  return backend === 'cpu' ? 3 : backend === 'wasm' ? 20 : 100;
}
const PEER_STEPS = 100;

function timeIt(run: () => void, warmUp: number, steps: number): number[] {
  for (let i = 0; i < warmUp; i++) run();
  const samples: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    run();
    samples.push(performance.now() - t0);
  }
  return samples;
}

/** The tutorial's model, as the CLI builds it, with the stock or the fused LSTM. */
function tutorialModel(variant: Variant): tf.LayersModel {
  return buildLayersModel({
    timeSteps: STEPS_IN_TIME,
    inputSize: FEATURES,
    units: UNITS,
    numClasses: CLASSES,
    seed: 1,
    kind: variant === 'fast' ? 'fused' : 'layers',
  });
}

/** Child process: measures one (backend, variant) and prints its Row as JSON. */
async function measure(backend: BackendName, variant: Variant, steps: number): Promise<Row> {
  const loadBefore = loadavg()[0] ?? 0;
  await setupBackend({ backend });
  // Explicit either way, whatever setupBackend does by default.
  if (backend === 'wasm') {
    if (variant === 'stock') unpatchWasmKernels();
    else patchWasmKernels();
  }
  const model = tutorialModel(variant);
  const optimizer = tf.train.adam(0.001);
  const xs = tf.randomUniform([BATCH, STEPS_IN_TIME, FEATURES], 0, 1, 'float32', 7);
  const ys = tf.tidy(() =>
    tf.oneHot(tf.randomUniform([BATCH], 0, CLASSES, 'int32', 8) as tf.Tensor1D, CLASSES),
  ) as tf.Tensor2D;
  const trainStep = (): void => {
    const cost = optimizer.minimize(
      () => softmaxCrossEntropy(model.apply(xs, { training: true }) as tf.Tensor2D, ys),
      true,
    );
    cost?.dataSync();
    cost?.dispose();
  };
  const inferBatch = (): void => {
    const logits = model.predict(xs, { batchSize: BATCH }) as tf.Tensor;
    logits.dataSync();
    logits.dispose();
  };
  const warmUp = backend === 'cpu' ? 1 : 3;
  trainStep(); // creates Adam's slots, so they do not count as growth below
  const tensorsBefore = tf.memory().numTensors;
  const train = timeIt(trainStep, warmUp - 1, steps);
  const tensorGrowth = tf.memory().numTensors - tensorsBefore;
  const infer = timeIt(inferBatch, warmUp, steps);
  const t = timing(train);
  const i = timing(infer);
  return {
    backend,
    variant,
    steps,
    train: t,
    infer: i,
    trainSamplesPerSec: Math.round((BATCH / t.medianMs) * 1000),
    inferSamplesPerSec: Math.round((BATCH / i.medianMs) * 1000),
    // maxRSS is in kilobytes.
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    tensorGrowth,
    load1: [loadBefore, loadavg()[0] ?? 0],
    ...(backend === 'tensorflow' ? { libtensorflow: libtensorflowSettings() } : {}),
    ...(variant === 'fast' ? { lstmKernel: lstmKernelInUse() } : {}),
  };
}

interface ChildResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
  /** Peak resident set from /proc (Linux), sampled while the child runs; undefined elsewhere. */
  readonly peakRssMB: number | undefined;
}

function runChild(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    let peakKb: number | undefined;
    const sample = (): void => {
      try {
        const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (match?.[1] !== undefined) peakKb = Number(match[1]);
      } catch {
        // Not Linux, or the process has just exited: keep the last sample.
      }
    };
    const timer = setInterval(sample, 250);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearInterval(timer);
      const seconds = (performance.now() - t0) / 1000;
      resolve({
        code,
        stdout,
        stderr,
        seconds,
        peakRssMB: peakKb === undefined ? undefined : Math.round(peakKb / 1024),
      });
    });
  });
}

function lastJsonLine(text: string): unknown {
  const line = text.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

function isRow(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && 'train' in value && 'infer' in value && 'variant' in value;
}

type Output = Row | PeerRow | Record<string, unknown>;

/** A field of any output row, measured or skipped. */
function field(o: Output, key: string): unknown {
  return (o as Readonly<Record<string, unknown>>)[key];
}

/** A tensorflow row's libtensorflow settings, where the bench sets them (else the project's defaults apply). */
interface TfSettings {
  readonly threads?: string;
  readonly isa?: string;
  /** `libtensorflow` sets RNN_LSTM_KERNEL=0: the fused LSTM on libtensorflow's kernels, not the project's addon. */
  readonly lstm?: LstmKernel;
}
const LSTM_KERNELS = ['addon', 'libtensorflow'] as const;
type LstmKernel = (typeof LSTM_KERNELS)[number];

async function benchVariant(
  backend: BackendName,
  variant: Variant,
  steps: number,
  tfSettings: TfSettings = {},
): Promise<Output> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (tfSettings.threads !== undefined) env[INTRA_OP_THREADS_ENV_VAR] = tfSettings.threads;
  if (tfSettings.isa !== undefined) env[ONEDNN_ISA_ENV_VAR] = tfSettings.isa;
  if (tfSettings.lstm === 'libtensorflow') env[LSTM_KERNEL_ENV_VAR] = '0';
  if (tfSettings.lstm === 'addon') delete env[LSTM_KERNEL_ENV_VAR];
  const result = await runChild(
    process.execPath,
    [...process.execArgv, __filename, '--child', `${backend}:${variant}:${steps}`],
    env,
  );
  const row = lastJsonLine(result.stdout);
  if (result.code === 0 && isRow(row)) return row;
  const lines = result.stderr.trim().split('\n');
  const why = (lines.find((l) => /Error|not available/.test(l)) ?? lines.pop() ?? `exit code ${result.code}`)
    .replace(/^bench: /, '')
    .trim();
  return { backend, variant, skipped: why };
}

/** A peer framework's row, as scripts/bench_peers.py prints it. */
interface PeerRow {
  readonly framework: string;
  readonly version: string;
  readonly variant: string;
  readonly train: Timing;
  readonly infer: Timing;
  readonly peakRssMB: number;
  readonly roundMedians?: readonly number[];
}

function isPeerRow(value: unknown): value is PeerRow {
  return typeof value === 'object' && value !== null && 'framework' in value && 'train' in value;
}

const PEERS = [
  ['pytorch', 'torch'],
  ['tensorflow', 'tensorflow'],
] as const;

/** The first Python that imports `module`: $RNN_PEERS_PYTHON, then the project's order (scripts/jupyter-env.js). */
function peerPython(module: string): string | undefined {
  const peers = process.env['RNN_PEERS_PYTHON'];
  for (const candidate of [...(peers ? [peers] : []), ...pythonCandidates().map((c) => c.python)]) {
    if (spawnSync(candidate, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return undefined;
}

/** Each peer framework in its own Python process (their thread pools and memory stay apart). */
async function benchPeers(steps: number): Promise<Output[]> {
  const out: Output[] = [];
  for (const [framework, module] of PEERS) {
    const python = peerPython(module);
    if (python === undefined) {
      out.push({ framework, skipped: `no Python imports ${module} (set RNN_PEERS_PYTHON)` });
      continue;
    }
    const script = join(__dirname, 'bench_peers.py');
    const result = await runChild(python, [
      script,
      '--steps',
      String(steps),
      '--threads',
      String(cpus().length),
      '--frameworks',
      framework,
    ]);
    const row = lastJsonLine(result.stdout);
    out.push(
      result.code === 0 && typeof row === 'object' && row !== null
        ? { ...(row as Record<string, unknown>), python }
        : { framework, skipped: `exit code ${result.code}: ${result.stderr.trim().split('\n').pop() ?? ''}` },
    );
  }
  return out;
}

async function benchTutorial(backend: BackendName, extraArgs: readonly string[]): Promise<Record<string, unknown>> {
  const cli = join(__dirname, '..', 'dist', 'cli.js');
  // --no-record: a benchmark run is not an experiment to keep in runs/.
  const args = ['--data', 'bundled', '--backend', backend, '--json', '--no-record', ...extraArgs];
  const command = `node dist/cli.js ${args.join(' ')}`;
  if (!existsSync(cli))
    return { phase: 'tutorial', command, skipped: 'dist/cli.js not found: run `npm run build` first' };
  const result = await runChild(process.execPath, [cli, ...args]);
  const summary = lastJsonLine(result.stdout);
  if (result.code !== 0 || typeof summary !== 'object' || summary === null) {
    return {
      phase: 'tutorial',
      command,
      skipped: `exit code ${result.code}: ${result.stderr.trim().split('\n').pop() ?? ''}`,
    };
  }
  return {
    phase: 'tutorial',
    command,
    wallSeconds: Math.round(result.seconds * 10) / 10,
    peakRssMB: result.peakRssMB ?? null,
    ...summary,
  };
}

/** The variant, and for tensorflow how libtensorflow and the LSTM ran, e.g. `fast, 1 thread, oneDNN ALL, LSTM on addon (avx512, 2 threads)`. */
function rowLabel(o: Row): string {
  const lstm = o.lstmKernel === undefined ? '' : `, LSTM on ${o.lstmKernel}`;
  if (o.libtensorflow === undefined) return `${o.variant}${lstm}`;
  const { intraOpThreads, onednnMaxIsa } = o.libtensorflow;
  // oneDNN's own default (no cap) is every instruction set the CPU has.
  return `${o.variant}, ${intraOpThreads} thread${intraOpThreads === '1' ? '' : 's'}, oneDNN ${onednnMaxIsa === 'default' ? 'ALL' : onednnMaxIsa}${lstm}`;
}

/** True when two rows ran libtensorflow the same way (or neither ran it). */
function sameLibtensorflow(a: Row, b: Row): boolean {
  return (
    a.libtensorflow?.intraOpThreads === b.libtensorflow?.intraOpThreads &&
    a.libtensorflow?.onednnMaxIsa === b.libtensorflow?.onednnMaxIsa
  );
}

function benchTable(outputs: readonly Output[], tutorials: readonly Record<string, unknown>[]): string {
  const perRound = (medians: readonly number[] | undefined): string =>
    (medians ?? []).map((m) => m.toFixed(1)).join(' ');
  const ms = (t: Timing): string => `${t.medianMs.toFixed(1)} (${t.minMs.toFixed(1)}-${t.maxMs.toFixed(1)})`;
  const pytorch = outputs.find((o): o is PeerRow => isPeerRow(o) && o.framework === 'pytorch');
  const vsPytorch = (t: Timing): string =>
    pytorch === undefined ? '' : `${(t.medianMs / pytorch.train.medianMs).toFixed(2)}x`;
  const header = [
    'backend',
    'variant',
    'train ms median (min-max)',
    'samples/s',
    'vs stock',
    'vs PyTorch',
    'infer ms median (min-max)',
    'samples/s',
    'peak RSS MB',
    'tensor growth',
    'load 1m',
    'train ms per round',
  ];
  const rows: string[][] = outputs.map((o) => {
    if (isPeerRow(o)) {
      const perSec = (t: Timing): string => String(Math.round((BATCH / t.medianMs) * 1000));
      return [
        `${o.framework} ${o.version}`,
        o.variant,
        ms(o.train),
        perSec(o.train),
        '',
        vsPytorch(o.train),
        ms(o.infer),
        perSec(o.infer),
        String(o.peakRssMB),
        '',
        '',
        perRound(o.roundMedians),
      ];
    }
    if (!isRow(o))
      return [
        String(field(o, 'backend') ?? field(o, 'framework')),
        String(field(o, 'variant') ?? ''),
        `not run: ${String(field(o, 'skipped'))}`,
      ];
    const stock = outputs.find(
      (s): s is Row => isRow(s) && s.backend === o.backend && s.variant === 'stock' && sameLibtensorflow(s, o),
    );
    const speedup =
      stock === undefined || o.variant === 'stock' ? '' : `x${(stock.train.medianMs / o.train.medianMs).toFixed(1)}`;
    return [
      o.backend,
      rowLabel(o),
      ms(o.train),
      String(o.trainSamplesPerSec),
      speedup,
      vsPytorch(o.train),
      ms(o.infer),
      String(o.inferSamplesPerSec),
      String(o.peakRssMB),
      String(o.tensorGrowth),
      o.load1.map((l) => l.toFixed(1)).join('->'),
      perRound(o.roundMedians),
    ];
  });
  const lines = [
    formatTable({ header, rows: rows.filter((r) => r.length === header.length) }),
    ...rows.filter((r) => r.length !== header.length).map((r) => r.join(': ')),
  ];
  for (const tutorial of tutorials) {
    lines.push(
      '',
      `tutorial (${String(tutorial['command'])}): ${tutorial['skipped'] !== undefined ? `not run: ${String(tutorial['skipped'])}` : JSON.stringify(tutorial)}`,
    );
  }
  return lines.join('\n');
}

function list<T extends string>(text: string | undefined, allowed: readonly T[], flag: string): T[] {
  if (text === undefined) return [...allowed];
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item))
      throw new Error(`--${flag}: "${item}" is not one of ${allowed.join(', ')}`);
  }
  return items as T[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean' },
      backends: { type: 'string' },
      variants: { type: 'string' },
      steps: { type: 'string' },
      peers: { type: 'boolean' },
      'skip-tutorial': { type: 'boolean' },
      'tf-threads': { type: 'string' },
      'tf-isa': { type: 'string' },
      'lstm-kernel': { type: 'string' },
      rounds: { type: 'string' },
      'tutorial-args': { type: 'string' },
      child: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.child !== undefined) {
    const [backend, variant, steps] = values.child.split(':');
    const [b] = list(backend, BACKENDS, 'child');
    const [v] = list(variant, VARIANTS, 'child');
    if (b === undefined || v === undefined) throw new Error(`--child: bad spec "${values.child}"`);
    process.stdout.write(`${JSON.stringify(await measure(b, v, Number(steps)))}\n`);
    return;
  }
  const steps = values.steps === undefined ? undefined : Number(values.steps);
  if (steps !== undefined && (!Number.isInteger(steps) || steps < 1))
    throw new Error(`--steps must be a whole number >= 1, got "${values.steps}"`);
  const rounds = values.rounds === undefined ? 3 : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds must be a whole number >= 1, got "${values.rounds}"`);
  const backends = list(values.backends, BACKENDS, 'backends');
  const variants = list(values.variants, VARIANTS, 'variants');
  const tfThreads =
    values['tf-threads'] === undefined ? [undefined] : values['tf-threads'].split(',').map((t) => t.trim());
  for (const t of tfThreads) {
    if (t !== undefined && !/^[1-9]\d*$/.test(t))
      throw new Error(`--tf-threads: "${t}" is not a thread count (a whole number >= 1)`);
  }
  const tfIsas =
    values['tf-isa'] === undefined ? [undefined] : values['tf-isa'].split(',').map((t) => t.trim().toUpperCase());
  for (const t of tfIsas) {
    if (t !== undefined && !/^[A-Z0-9_]+$/.test(t))
      throw new Error(`--tf-isa: "${t}" is not a oneDNN ISA name (e.g. AVX, AVX2, AVX512_CORE, ALL)`);
  }
  const lstmKernels: (LstmKernel | undefined)[] =
    values['lstm-kernel'] === undefined ? [undefined] : list(values['lstm-kernel'], LSTM_KERNELS, 'lstm-kernel');
  const tfSettings: TfSettings[] = tfThreads.flatMap((threads) =>
    tfIsas.flatMap((isa) => lstmKernels.map((lstm) => ({ threads, isa, lstm }))),
  );
  const outputs: Output[] = [];
  const emit = (o: Output): void => {
    outputs.push(o);
    if (values.json) process.stdout.write(`${JSON.stringify(o)}\n`);
  };
  const progress = (round: number, o: Output): void => {
    if (values.json) return;
    const name =
      isRow(o) && !isPeerRow(o)
        ? `${o.backend} ${rowLabel(o)}`
        : `${String(field(o, 'backend') ?? field(o, 'framework'))} ${String(field(o, 'variant') ?? '')}`;
    const timed =
      isRow(o) || isPeerRow(o)
        ? `train ${o.train.medianMs} ms, infer ${o.infer.medianMs} ms`
        : `not run (${String(field(o, 'skipped'))})`;
    process.stderr.write(`  round ${round}/${rounds} ${name}: ${timed}\n`);
  };
  if (!values.json) {
    process.stderr.write(
      `bench: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}, tfjs ${tf.version.tfjs}, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}, ${rounds} round${rounds === 1 ? '' : 's'}\n`,
    );
  }
  // Rows by key in first-measured order, each with one entry per round.
  const byKey = new Map<string, Output[]>();
  const failedBackends = new Set<BackendName>();
  for (let round = 1; round <= rounds; round++) {
    for (const backend of backends) {
      // A backend that failed to load fails for every variant and round: report it once.
      if (failedBackends.has(backend)) continue;
      // kernels is a wasm variant; a failure of a backend's first variant means it did not load.
      const backendVariants = variants.filter((v) => v !== 'kernels' || backend === 'wasm');
      for (const variant of backendVariants) {
        const stepsHere = steps ?? defaultSteps(backend);
        for (const settings of backend === 'tensorflow' ? tfSettings : [{}]) {
          const row = await benchVariant(backend, variant, stepsHere, settings);
          progress(round, row);
          const key = `${backend}|${variant}|${settings.threads ?? ''}|${settings.isa ?? ''}|${settings.lstm ?? ''}`;
          byKey.set(key, [...(byKey.get(key) ?? []), row]);
          if (!isRow(row) && variant === backendVariants[0]) failedBackends.add(backend);
        }
        if (failedBackends.has(backend)) break;
      }
    }
    if (values.peers) {
      for (const peer of await benchPeers(steps ?? PEER_STEPS)) {
        progress(round, peer);
        const key = `peer|${String(field(peer, 'framework'))}`;
        byKey.set(key, [...(byKey.get(key) ?? []), peer]);
      }
    }
  }
  for (const rowsOfKey of byKey.values()) emit(combineRounds(rowsOfKey));
  const tutorials: Record<string, unknown>[] = [];
  if (!values['skip-tutorial']) {
    // Every backend that loaded but cpu, whose 781 steps take about 45 minutes.
    const loadedBackends = backends.filter((b) => b !== 'cpu' && outputs.some((o) => isRow(o) && o.backend === b));
    for (const backend of loadedBackends) {
      const tutorial = await benchTutorial(
        backend,
        (values['tutorial-args'] ?? '').split(/\s+/).filter((a) => a !== ''),
      );
      tutorials.push(tutorial);
      if (values.json) process.stdout.write(`${JSON.stringify(tutorial)}\n`);
      else
        process.stderr.write(
          `  tutorial on ${backend}: ${tutorial['skipped'] !== undefined ? `not run (${String(tutorial['skipped'])})` : `${String(tutorial['wallSeconds'])} s`}\n`,
        );
    }
  }
  if (!values.json) process.stdout.write(`${benchTable(outputs, tutorials)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
