#!/usr/bin/env node
/**
 * `npm run tutorial -- [flags]`: the whole tutorial headless. Prints the tutorial's log on stdout
 * (the `Iter ...` lines, `Optimization Finished!`, `Testing Accuracy: ...`), set-up notes and the
 * progress bar on stderr (the bar only on a terminal), and with `--json` one JSON summary as the
 * last stdout line. Every run writes a run record (src/runs/record.ts) to runs/ unless
 * --no-record; --save also saves the trained model. The flags set the settings of
 * src/settings.ts, checked there. Bad flags or input: one line on stderr and exit code 2; a
 * failure of this program: one line and exit code 1.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, isBackendChoice, setupBackend, BACKEND_CHOICES, type BackendChoice } from './backend';
import { loadMnist, type DownloadProgress } from './data';
import { UsageError } from './errors';
import { progressText } from './format';
import { saveModel } from './models';
import { checkSaveTarget } from './models/save';
import { InterruptedError } from './interrupt';
import { ExperimentInterruptedError, runExperiment, WRITE_RUN_DEFAULTS, writeRunRecord, type RunRecord } from './runs';
import {
  CELL_TYPES,
  checkFits,
  MODEL_DEFAULTS,
  INIT_KINDS,
  MODEL_KINDS,
  modelSize,
  resolveRunSettings,
  TRAIN_DEFAULTS,
  type RunSettings,
} from './settings';
import type { TrainProgress } from './train';
import { errorLine, exitCodeOf, runAsMain } from './entry';

const USAGE = `usage: npm run tutorial -- [flags]
  --data auto|bundled|download|<dir>   MNIST source (default auto: cached files, else download, else bundled digits)
  --cache-dir <dir>                    where downloads are kept (default ~/.cache/rnn-notebooks/mnist)
  --training-iters <n>                 examples to train on (the tutorial's training_iters = ${TRAIN_DEFAULTS.trainingIters})
  --batch-size <n>                     batch_size = ${TRAIN_DEFAULTS.batchSize}
  --display-step <n>                   log every n steps (display_step = ${TRAIN_DEFAULTS.displayStep})
  --lr <x>                             Adam learning rate (learning_rate = ${TRAIN_DEFAULTS.learningRate})
  --clip-norm <x>                      clip the gradients to this global norm before each update (default ${TRAIN_DEFAULTS.clipNorm}: off, as the tutorial)
  --units <n>                          units per recurrent layer (n_hidden = ${MODEL_DEFAULTS.units}; --hidden is the same flag)
  --cell ${CELL_TYPES.join('|')}           recurrent cell (default ${MODEL_DEFAULTS.cell}, the tutorial's)
  --layers <n>                         recurrent layers stacked (default ${MODEL_DEFAULTS.layers})
  --bidirectional                      each recurrent layer also reads the rows bottom to top
  --kind ${MODEL_KINDS.join('|')}            how the model is computed (--model is the same flag): the fused LSTM layer (fast, the default for lstm),
                                       the stock tf.layers cells (the reference; the only one for gru and simple-rnn),
                                       or the tutorial's own TF1 BasicLSTMCell model (one layer, one direction)
  --init ${INIT_KINDS.join('|')}                where the weights start: the tutorial's (TF1's initialisers, the N(0,1) output
                                       layer; the default for one LSTM layer) or tf.layers' (the default for the rest)
  --seed <n>                           random seed: initial weights, data shuffling and batch order (default ${MODEL_DEFAULTS.seed})
  --backend ${BACKEND_CHOICES.join('|')}   (default auto, or $RNN_BACKEND)
  --save <dir>                         save the trained model there (model.json + weights.bin, tfjs file:// layout)
  --runs-dir <dir>                     where the run record goes (default ${WRITE_RUN_DEFAULTS.runsDir}/)
  --no-record                          do not write a run record
  --json                               end with one JSON summary line
  --help`;

/** The flag of each setting the command line sets; errors name a setting by its flag. */
const FLAGS: Readonly<Partial<Record<keyof RunSettings, string>>> = {
  trainingIters: 'training-iters',
  batchSize: 'batch-size',
  displayStep: 'display-step',
  learningRate: 'lr',
  clipNorm: 'clip-norm',
  units: 'units',
  cell: 'cell',
  layers: 'layers',
  bidirectional: 'bidirectional',
  kind: 'kind',
  init: 'init',
  seed: 'seed',
};

/** Older names of flags, still accepted: `--hidden` (the tutorial's n_hidden) and `--model`. */
const FLAG_ALIASES: Readonly<Record<string, string>> = { hidden: 'units', model: 'kind' };

/** How errors name each setting: by its flag, or by the older name where that is what was typed. */
function flagNamer(typed: Readonly<Record<string, string>>): (key: string) => string {
  return (key: string): string => {
    const flag = FLAGS[key as keyof RunSettings];
    return flag === undefined ? key : `--${typed[flag] ?? flag}`;
  };
}

/** A parsed `npm run tutorial` command line. */
export interface CliConfig {
  readonly data: string;
  readonly cacheDir?: string;
  /** The run's model and training settings (src/settings.ts), checked. */
  readonly settings: RunSettings;
  readonly backend: BackendChoice;
  readonly save?: string;
  /** Write a run record (false with --no-record). */
  readonly record: boolean;
  readonly runsDir: string;
  readonly json: boolean;
  /** How errors name a setting: its flag as typed (`--hidden` or `--units`); default the flag's name. */
  readonly nameOf?: (key: string) => string;
}

/**
 * A flag's text as a number where it spells a finite one; otherwise the text, so that the settings
 * check quotes it back as written (`1e309` is Infinity as a number, "got Infinity" would hide why).
 */
function numeric(text: string): number | string {
  if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(text)) return text;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

/** Parses argv (without `node cli.js`) into a config; throws UsageError for anything wrong. */
export function parseCli(argv: readonly string[]): CliConfig | 'help' {
  const settingFlags = Object.fromEntries(
    Object.entries(FLAGS).map(([key, flag]) => [
      flag,
      { type: key === 'bidirectional' ? ('boolean' as const) : ('string' as const) },
    ]),
  );
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        ...settingFlags,
        ...Object.fromEntries(Object.keys(FLAG_ALIASES).map((alias) => [alias, { type: 'string' as const }])),
        data: { type: 'string' },
        'cache-dir': { type: 'string' },
        backend: { type: 'string' },
        save: { type: 'string' },
        'runs-dir': { type: 'string' },
        'no-record': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? (err.message.split('\n')[0] ?? 'bad flags') : 'bad flags');
  }
  if (values.help === true) return 'help';
  const text = (flag: string): string | undefined => {
    const v = values[flag];
    return typeof v === 'string' ? v : undefined;
  };
  const typed: Record<string, string> = {};
  for (const [alias, flag] of Object.entries(FLAG_ALIASES)) {
    if (values[alias] === undefined) continue;
    if (values[flag] !== undefined)
      throw new UsageError(`--${alias} and --${flag} are one setting (--${alias} is the older name); give one`);
    values[flag] = values[alias];
    typed[flag] = alias;
  }
  const nameOf = flagNamer(typed);
  const given: Record<string, unknown> = {};
  for (const [key, flag] of Object.entries(FLAGS)) {
    const v = values[flag];
    if (v === undefined) continue;
    given[key] = typeof v === 'boolean' || key === 'cell' || key === 'kind' || key === 'init' ? v : numeric(v);
  }
  const settings = resolveRunSettings(given, { nameOf });
  checkFits(settings, { nameOf });
  const backend = text('backend') ?? 'auto';
  if (!isBackendChoice(backend))
    throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${backend}"`);
  const record = values['no-record'] !== true;
  if (!record && text('runs-dir') !== undefined)
    throw new UsageError('--runs-dir and --no-record contradict each other');
  for (const flag of ['save', 'runs-dir'] as const) {
    if (text(flag)?.trim() === '') throw new UsageError(`--${flag} must name a folder, got ""`);
  }
  const data = text('data') ?? 'auto';
  if (data.trim() === '') throw new UsageError('--data must be auto, bundled, download or a directory, got ""');
  const cacheDir = text('cache-dir');
  const save = text('save');
  return {
    data,
    ...(cacheDir !== undefined ? { cacheDir } : {}),
    settings,
    backend,
    ...(save !== undefined ? { save } : {}),
    record,
    runsDir: text('runs-dir') ?? WRITE_RUN_DEFAULTS.runsDir,
    json: values.json === true,
    nameOf,
  };
}

/** The progress bar (format.ts's, as in a notebook's text output) on one terminal line, redrawn in place; silent when stderr is not a terminal. */
function progressBar(stream: NodeJS.WriteStream): { update(p: TrainProgress): void; clear(): void } {
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const now = Date.now();
      if (!stream.isTTY || (now - last < 200 && p.step !== p.steps)) return;
      last = now;
      stream.write(`\r${progressText({ examplesSeen: p.examplesSeen, total: p.total, elapsedMs: p.elapsedMs })}\x1b[K`);
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

/** What a finished run reports: the JSON summary, and the errors that came after training (saving, recording). */
export interface TutorialOutcome {
  readonly summary: Record<string, unknown>;
  readonly problems: readonly unknown[];
}

/**
 * Runs the tutorial with a parsed config. `signal` stops it (the first Ctrl-C): a download or
 * training stops at its next step, rejecting with an InterruptedError (an
 * ExperimentInterruptedError, carrying the run's record, once training has started).
 */
export async function runTutorial(
  config: CliConfig,
  out: NodeJS.WriteStream,
  err: NodeJS.WriteStream,
  signal?: AbortSignal,
): Promise<TutorialOutcome> {
  // Before the minutes of training: a --save folder that cannot be used, or holds files saving would delete.
  const weightBytes = modelSize(config.settings).numbers * 4; // float32, the size of weights.bin
  const replacing = config.save !== undefined && (await checkSaveTarget(config.save, weightBytes)) === 'replace';
  const backend = await setupBackend({ backend: config.backend });
  err.write(`${describeBackend(backend)}\n`);
  // Parsing checked against the machine's memory; the wasm backend has less (its heap).
  checkFits(config.settings, { backend: backend.name, nameOf: config.nameOf ?? flagNamer({}) });
  const data = await loadMnist({
    source: config.data,
    seed: config.settings.seed,
    ...(config.cacheDir !== undefined ? { cacheDir: config.cacheDir } : {}),
    onNotice: (message) => err.write(`${message}\n`),
    onProgress: downloadLine(err),
    ...(signal !== undefined ? { signal, stopOnSigint: false } : {}),
  });
  err.write(`data: ${data.description}\n`);
  if (config.settings.batchSize > data.train.numExamples) {
    throw new UsageError(
      `--batch-size ${config.settings.batchSize} is larger than the training split (${data.train.numExamples} examples)`,
    );
  }
  const bar = progressBar(err);
  const { classifier, result, record } = await runExperiment(config.settings, data, {
    label: 'npm run tutorial',
    onLog: (line) => {
      bar.clear();
      out.write(`${line}\n`);
    },
    onProgress: (p) => bar.update(p),
    onWarning: (message) => {
      bar.clear();
      err.write(`tutorial: warning: ${message}\n`);
    },
    ...(signal !== undefined ? { signal, stopOnSigint: false } : {}),
  });
  bar.clear();
  try {
    // Training and testing are done and printed: what fails from here is reported after the summary.
    const problems: unknown[] = [];
    let toWrite: RunRecord = record;
    if (config.save !== undefined) {
      try {
        await saveModel(classifier, config.save, { metadata: { runId: record.id, config: record.config } });
        err.write(`model saved to ${config.save}${replacing ? ' (replacing the model saved there before)' : ''}\n`);
        toWrite = { ...record, savedModel: config.save };
      } catch (e) {
        problems.push(e);
      }
    }
    // The run is recorded even when saving failed: the training and its numbers happened.
    let recordPath: string | null = null;
    if (config.record) {
      try {
        recordPath = await writeRunRecord(toWrite, { runsDir: config.runsDir });
        err.write(`run record: ${recordPath}\n`);
      } catch (e) {
        problems.push(e);
      }
    }
    const summary = {
      backend: backend.name,
      data: data.source,
      model: classifier.name,
      cell: config.settings.cell,
      init: config.settings.init,
      trainSize: data.train.numExamples,
      testSize: data.test.numExamples,
      examplesSeen: result.examplesSeen,
      seconds: Number(result.seconds.toFixed(3)),
      // The tutorial's "Testing Accuracy": the first 128 test images (the CLI has no flag for testExamples).
      testingAccuracy: result.testingAccuracy,
      /** @deprecated the older name of testingAccuracy, kept for scripts that read it (CHANGELOG 0.3.0). */
      testAccuracy128: result.testingAccuracy,
      testAccuracy: result.testAccuracy,
      runId: record.id,
      record: recordPath,
      savedModel: problems.length === 0 ? (config.save ?? null) : null,
    };
    return { summary, problems };
  } finally {
    classifier.dispose();
    tf.disposeVariables();
  }
}

/**
 * With --json, the last stdout line of a failed run: `{"error": "<the stderr line>", "exitCode": N}`,
 * so a script reading the last line tells a failure (and which) from a crash (no line).
 */
function jsonFailure(out: NodeJS.WriteStream, line: string, exitCode: number): void {
  out.write(`${JSON.stringify({ error: line, exitCode })}\n`);
}

/** Entry point: returns the process exit code. */
export async function main(
  argv: readonly string[],
  out: NodeJS.WriteStream = process.stdout,
  err: NodeJS.WriteStream = process.stderr,
): Promise<number> {
  let config: CliConfig | 'help';
  try {
    config = parseCli(argv);
  } catch (e) {
    const line = `${errorLine('tutorial', e)} (see --help)`;
    err.write(`${line}\n`);
    // The flags did not parse, but a --json among them still asks for the JSON line.
    if (argv.includes('--json')) jsonFailure(out, line, exitCodeOf(e));
    return exitCodeOf(e);
  }
  if (config === 'help') {
    out.write(`${USAGE}\n`);
    return 0;
  }
  // The first Ctrl-C stops the work at its next step; a second one exits at once.
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      controller.abort();
      return;
    }
    err.write('tutorial: second Ctrl-C: exiting now\n');
    process.exit(130);
  };
  process.on('SIGINT', onSigint);
  try {
    const { summary, problems } = await runTutorial(config, out, err, controller.signal);
    // Saving or recording failed after training: the results stand; say what failed (in the JSON line too).
    const lines = problems.map((p) => errorLine('tutorial', p));
    const code = problems.length === 0 ? 0 : Math.max(...problems.map(exitCodeOf));
    if (config.json)
      out.write(
        `${JSON.stringify(problems.length === 0 ? summary : { ...summary, error: lines.join('; '), exitCode: code })}\n`,
      );
    for (const line of lines) err.write(`${line}\n`);
    return code;
  } catch (e) {
    if (e instanceof InterruptedError) {
      // Recorded, marked interrupted, with the history logged so far (docs/command-line.md).
      let recorded = '';
      if (e instanceof ExperimentInterruptedError && config.record) {
        recorded = await writeRunRecord(e.record, { runsDir: config.runsDir }).then(
          (file) => `; run record (marked interrupted): ${file}`,
          (w: unknown) => `; ${errorLine('no run record', w)}`,
        );
      }
      const line = `tutorial: ${e.message} (Ctrl-C)${recorded}`;
      err.write(`${line}\n`);
      if (config.json) jsonFailure(out, line, 130);
      return 130;
    }
    // Data, backend and folder problems are the user's to fix (a path, a mirror, a flag): exit 2.
    // Anything else is a failure of this program: exit 1. One line either way.
    const line = errorLine('tutorial', e);
    err.write(`${line}\n`);
    if (config.json) jsonFailure(out, line, exitCodeOf(e));
    return exitCodeOf(e);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

if (require.main === module) runAsMain('tutorial', (argv) => main(argv));
