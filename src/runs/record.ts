/**
 * Run records: one JSON file per training run, so that results outlive the kernel or the process
 * and runs can be compared later (`loadRunRecords`, `npm run runs`). A record holds what is needed
 * to read and repeat the run: the full settings (model and training, with the random seed), backend, data
 * source and split sizes, the per-display-step history and validation history (each point with
 * the wall time it was reached), final accuracies, wall time, package versions, a timestamp and
 * an id. Files are written atomically: a temporary file in the same folder, renamed into place.
 *
 * JSON cannot hold NaN or Infinity (a diverged loss): they are written as null and read back as NaN.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Datasets } from '../data';
import { UsageError } from '../errors';
import { resolveRunSettings, type RunSettings } from '../settings';
import type { TrainResult } from '../train';

/**
 * The `format` every record carries; bumped when the layout changes. @2 (this package 0.2): the
 * model kind `seed` became `basic`, `result.testAccuracy128` became `result.testingAccuracy`,
 * `config` gained `forgetBias` and `clipNorm`. @3 (0.3): `config` gained `init`. The loader reads
 * @1 and @2 records too.
 */
export const RUN_RECORD_FORMAT = 'rnn-notebooks/run@3';

/** A display-step or validation point, with the seconds since training started when it was measured. */
export interface TimedRecord {
  readonly step: number;
  readonly examplesSeen: number;
  readonly loss: number;
  readonly accuracy: number;
  /** Wall time since training started; absent when the run was recorded without timing. */
  readonly seconds?: number;
}

/** Where the data came from and how large each split was. */
export interface RunDataInfo {
  readonly source: 'idx' | 'bundled';
  readonly description: string;
  readonly trainSize: number;
  readonly validationSize: number;
  readonly testSize: number;
}

/** Versions that can change results. */
export interface RunVersions {
  readonly tfjs: string;
  readonly node: string;
  /** This package (rnn-notebooks). */
  readonly package: string;
}

/** The final numbers of a run (TrainResult without the histories). */
export interface RunResult {
  readonly steps: number;
  readonly examplesSeen: number;
  /** Accuracy on the first `config.testExamples` test images (the tutorial's "Testing Accuracy"). */
  readonly testingAccuracy: number;
  readonly testAccuracy: number;
  /** Wall time of training plus testing. */
  readonly seconds: number;
}

/** One training run, as stored in `<runsDir>/<id>.json`. */
export interface RunRecord {
  readonly format: typeof RUN_RECORD_FORMAT;
  /** `YYYYMMDD-HHMMSS-<cell>-u<units>-<4 hex>`, also the file name. */
  readonly id: string;
  /** ISO 8601, UTC. */
  readonly createdAt: string;
  /** Free text, e.g. the notebook or sweep that made the run. */
  readonly label: string;
  readonly config: RunSettings;
  /** The classifier's name, e.g. `fused LSTM`. */
  readonly model: string;
  /** The tfjs backend that trained it: tensorflow, wasm or cpu. */
  readonly backend: string;
  readonly data: RunDataInfo;
  readonly history: readonly TimedRecord[];
  readonly validation: readonly TimedRecord[];
  readonly result: RunResult;
  readonly versions: RunVersions;
  /** Folder the trained model was saved to, if it was. */
  readonly savedModel?: string;
  /**
   * Set when the run was stopped (Ctrl-C, an interrupt) after `step` of `steps`: the histories
   * hold what was logged until then and the accuracies are NaN (written as null): never tested.
   */
  readonly interrupted?: { readonly step: number; readonly steps: number };
}

/** What `createRunRecord` needs; `history`/`validation` default to the result's (untimed). */
export interface RunRecordInput {
  /** Completed with the defaults (`resolveRunSettings`), so a notebook can pass its own config. */
  readonly config: Partial<RunSettings> | object;
  readonly model: string;
  readonly data: Datasets;
  readonly result: TrainResult;
  readonly history?: readonly TimedRecord[];
  readonly validation?: readonly TimedRecord[];
  /** Default: the active tfjs backend. */
  readonly backend?: string;
  readonly label?: string;
  readonly savedModel?: string;
  /** The run was stopped after `step` of `steps` (see RunRecord.interrupted). */
  readonly interrupted?: { readonly step: number; readonly steps: number };
  /** Default: now (tests fix it). */
  readonly createdAt?: Date;
}

let packageVersion: string | undefined;

/** This package's version from its package.json (two folders up from src/runs or dist/runs). */
function ownVersion(): string {
  if (packageVersion === undefined) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
      const v = typeof parsed === 'object' && parsed !== null && 'version' in parsed ? parsed.version : undefined;
      packageVersion = typeof v === 'string' ? v : 'unknown';
    } catch {
      packageVersion = 'unknown';
    }
  }
  return packageVersion;
}

/** tfjs, Node and this package's versions. */
export function runVersions(): RunVersions {
  return { tfjs: tf.version.tfjs, node: process.version, package: ownVersion() };
}

/** A new id: UTC time to the second, the cell, the units and 4 random hex digits (two runs in one second differ). */
export function newRunId(
  config: Pick<RunSettings, 'cell' | 'units' | 'layers' | 'bidirectional'>,
  createdAt: Date = new Date(),
): string {
  const stamp = createdAt.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15); // YYYYMMDD-HHMMSS
  const shape = `${config.layers > 1 ? `${config.layers}x` : ''}${config.bidirectional ? 'bi-' : ''}${config.cell}`;
  return `${stamp}-${shape}-u${config.units}-${randomBytes(2).toString('hex')}`;
}

/** Builds the record of a finished run (nothing is written). */
export function createRunRecord(input: RunRecordInput): RunRecord {
  const createdAt = input.createdAt ?? new Date();
  const { result, data } = input;
  const config = resolveRunSettings(input.config);
  return {
    format: RUN_RECORD_FORMAT,
    id: newRunId(config, createdAt),
    createdAt: createdAt.toISOString(),
    label: input.label ?? '',
    config,
    model: input.model,
    backend: input.backend ?? tf.getBackend(),
    data: {
      source: data.source,
      description: data.description,
      trainSize: data.train.numExamples,
      validationSize: data.validation.numExamples,
      testSize: data.test.numExamples,
    },
    history: input.history ?? result.history,
    validation: input.validation ?? result.validation,
    result: {
      steps: result.steps,
      examplesSeen: result.examplesSeen,
      testingAccuracy: result.testingAccuracy,
      testAccuracy: result.testAccuracy,
      seconds: result.seconds,
    },
    versions: runVersions(),
    ...(input.savedModel !== undefined ? { savedModel: input.savedModel } : {}),
    ...(input.interrupted !== undefined
      ? { interrupted: { step: input.interrupted.step, steps: input.interrupted.steps } }
      : {}),
  };
}

/** Options of `writeRunRecord`. */
export interface WriteRunOptions {
  /** Folder of the records (created if missing). Default `runs` in the current directory. */
  readonly runsDir?: string;
}

/** Defaults of `writeRunRecord`: `runs/` in the current directory (the repository's, under npm run). */
export const WRITE_RUN_DEFAULTS = { runsDir: 'runs' } as const;

/** True for names the loader reads: `<id>.json`, not hidden (temporary files start with a dot). */
export function isRecordFileName(name: string): boolean {
  return name.endsWith('.json') && !name.startsWith('.');
}

/**
 * Writes `record` to `<runsDir>/<id>.json` atomically and returns the path. A record that cannot
 * be serialised leaves nothing behind (not even the folder); an existing file is never replaced.
 */
export async function writeRunRecord(record: RunRecord, options: WriteRunOptions = {}): Promise<string> {
  const runsDir = options.runsDir ?? WRITE_RUN_DEFAULTS.runsDir;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(record.id))
    throw new Error(`writeRunRecord: id "${record.id}" is not a safe file name`);
  const text = `${JSON.stringify(record, null, 1)}\n`; // throws on BigInt or cycles, before any file exists
  const file = path.join(runsDir, `${record.id}.json`);
  const temp = path.join(runsDir, `.${record.id}.json.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(runsDir, { recursive: true });
    if ((await stat(file).catch(() => undefined)) !== undefined)
      throw new UsageError(`${file}: a run record with this id exists already`);
    // Another run writing to the same folder at the same time has another id and temporary file.
    await writeFile(temp, text, { flag: 'wx' });
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err instanceof UsageError ? err : new UsageError(`cannot write the run record ${file}: ${fileProblem(err)}`);
  }
  return file;
}

/** A file-system error in words: a read-only folder and a full disk said plainly, anything else by its message. */
function fileProblem(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return `the folder cannot be written (${code})`;
  if (code === 'ENOSPC' || code === 'EDQUOT') return `the disk is full (${code})`;
  return err instanceof Error ? err.message : String(err);
}

/** Creates and writes a record in one call (for notebooks); returns the record and its path. */
export async function recordRun(
  input: RunRecordInput,
  options: WriteRunOptions = {},
): Promise<{ readonly record: RunRecord; readonly path: string }> {
  const record = createRunRecord(input);
  return { record, path: await writeRunRecord(record, options) };
}
