/**
 * Reading run records back: every `<id>.json` in a folder, checked field by field. A damaged
 * file (cut short, hand-edited, from another program) is reported as a warning and skipped; it
 * never stops the others from loading.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors';
import { resolveRunSettings, type RunSettings } from '../settings';
import { isRecordFileName, RUN_RECORD_FORMAT, type RunRecord, type TimedRecord } from './record';

/** Records of this package 0.1: model kind `seed` (now `basic`), `result.testAccuracy128`, no forgetBias or clipNorm. */
const FORMAT_0_1 = 'rnn-notebooks/run@1';
/** Package 0.2's records: like today's, without `config.init` (every model then started from tf.layers' initialisers, or BasicLSTMCell's for kind basic). */
const FORMAT_0_2 = 'rnn-notebooks/run@2';

/** A record and the file it was read from. */
export interface StoredRunRecord {
  readonly file: string;
  readonly record: RunRecord;
}

/** Options of `loadRunRecords`. */
export interface LoadRunsOptions {
  /** Told about each skipped file, in one line naming it (the same lines are returned as `warnings`). */
  readonly onWarning?: (message: string) => void;
}

/** What `loadRunRecords` found: the readable runs and a line per skipped file. */
export interface LoadedRuns {
  /** Oldest first (by `createdAt`, then id). */
  readonly runs: readonly StoredRunRecord[];
  readonly warnings: readonly string[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(obj: Json, key: string, where: string): unknown {
  if (!(key in obj)) throw new Error(`${where}.${key} is missing`);
  return obj[key];
}

function object(obj: Json, key: string, where: string): Json {
  const v = field(obj, key, where);
  if (!isObject(v)) throw new Error(`${where}.${key} must be an object`);
  return v;
}

function string(obj: Json, key: string, where: string): string {
  const v = field(obj, key, where);
  if (typeof v !== 'string') throw new Error(`${where}.${key} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

/** A number; null (how JSON writes NaN and Infinity) reads back as NaN. */
function number(obj: Json, key: string, where: string): number {
  const v = field(obj, key, where);
  if (v === null) return NaN;
  if (typeof v !== 'number') throw new Error(`${where}.${key} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function oneOf<T extends string>(obj: Json, key: string, where: string, allowed: readonly T[]): T {
  const v = string(obj, key, where);
  if (!(allowed as readonly string[]).includes(v))
    throw new Error(`${where}.${key} must be one of ${allowed.join(', ')}, got "${v}"`);
  return v as T;
}

function timedRecords(obj: Json, key: string, where: string): TimedRecord[] {
  const v = field(obj, key, where);
  if (!Array.isArray(v)) throw new Error(`${where}.${key} must be an array`);
  return v.map((item, k) => {
    const at = `${where}.${key}[${k}]`;
    if (!isObject(item)) throw new Error(`${at} must be an object`);
    const seconds = item.seconds === undefined ? {} : { seconds: number(item, 'seconds', at) };
    return {
      step: number(item, 'step', at),
      examplesSeen: number(item, 'examplesSeen', at),
      loss: number(item, 'loss', at),
      accuracy: number(item, 'accuracy', at),
      ...seconds,
    };
  });
}

/**
 * The stored settings, checked by the one validator (src/settings.ts) with every field required;
 * a 0.1 record's are read as what they meant then (kind `seed` is `basic`; it had no gradient
 * clipping, and BasicLSTMCell's forget bias and the tf.layers LSTMs' first forget bias were 1);
 * 0.1 and 0.2 records had no `init`: theirs was the basic model's own, tf.layers' for the rest.
 */
function runSettings(obj: Json, where: string, format: string): RunSettings {
  const old = format === FORMAT_0_1;
  const kind = old && obj.kind === 'seed' ? 'basic' : obj.kind;
  const upgraded = format === RUN_RECORD_FORMAT ? obj : { ...obj, kind, init: kind === 'basic' ? 'tutorial' : 'keras' };
  return resolveRunSettings(upgraded, {
    nameOf: (key) => `${where}.${key}`,
    complete: { except: old ? ['forgetBias', 'clipNorm'] : [] },
  });
}

/** Checks a parsed JSON value field by field and returns it as a RunRecord; the error names the first bad field. */
export function parseRunRecord(value: unknown): RunRecord {
  const where = 'record';
  if (!isObject(value)) throw new Error('not a JSON object');
  const format = string(value, 'format', where);
  if (format !== RUN_RECORD_FORMAT && format !== FORMAT_0_2 && format !== FORMAT_0_1)
    throw new Error(`format "${format}" is not ${RUN_RECORD_FORMAT} (or ${FORMAT_0_2}, ${FORMAT_0_1})`);
  const data = object(value, 'data', where);
  const result = object(value, 'result', where);
  const versions = object(value, 'versions', where);
  const createdAt = string(value, 'createdAt', where);
  if (Number.isNaN(Date.parse(createdAt))) throw new Error(`${where}.createdAt "${createdAt}" is not a date`);
  return {
    format: RUN_RECORD_FORMAT,
    id: string(value, 'id', where),
    createdAt,
    label: string(value, 'label', where),
    config: runSettings(object(value, 'config', where), `${where}.config`, format),
    model: string(value, 'model', where),
    backend: string(value, 'backend', where),
    data: {
      source: oneOf(data, 'source', `${where}.data`, ['idx', 'bundled'] as const),
      description: string(data, 'description', `${where}.data`),
      trainSize: number(data, 'trainSize', `${where}.data`),
      validationSize: number(data, 'validationSize', `${where}.data`),
      testSize: number(data, 'testSize', `${where}.data`),
    },
    history: timedRecords(value, 'history', where),
    validation: timedRecords(value, 'validation', where),
    result: {
      steps: number(result, 'steps', `${where}.result`),
      examplesSeen: number(result, 'examplesSeen', `${where}.result`),
      testingAccuracy: number(result, format === FORMAT_0_1 ? 'testAccuracy128' : 'testingAccuracy', `${where}.result`),
      testAccuracy: number(result, 'testAccuracy', `${where}.result`),
      seconds: number(result, 'seconds', `${where}.result`),
    },
    versions: {
      tfjs: string(versions, 'tfjs', `${where}.versions`),
      node: string(versions, 'node', `${where}.versions`),
      package: string(versions, 'package', `${where}.versions`),
    },
    ...(typeof value.savedModel === 'string' ? { savedModel: value.savedModel } : {}),
    ...(isObject(value.interrupted)
      ? {
          interrupted: {
            step: number(value.interrupted, 'step', `${where}.interrupted`),
            steps: number(value.interrupted, 'steps', `${where}.interrupted`),
          },
        }
      : {}),
  };
}

/**
 * Every run record in `runsDir`, oldest first; damaged files are skipped with a warning. A missing
 * folder has no runs (nothing recorded yet); a path that is not a folder is an error.
 */
export async function loadRunRecords(runsDir: string, options: LoadRunsOptions = {}): Promise<LoadedRuns> {
  const info = await stat(runsDir).catch(() => undefined);
  if (info === undefined) return { runs: [], warnings: [] };
  if (!info.isDirectory()) throw new UsageError(`${runsDir} is not a folder of run records`);
  const names = (await readdir(runsDir)).filter(isRecordFileName).sort();
  const runs: StoredRunRecord[] = [];
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    options.onWarning?.(message);
  };
  for (const name of names) {
    const file = path.join(runsDir, name);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      warn(`skipped ${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
      continue;
    }
    try {
      runs.push({ file, record: parseRunRecord(parsed) });
    } catch (err) {
      warn(`skipped ${file}: not a run record (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  runs.sort((a, b) => a.record.createdAt.localeCompare(b.record.createdAt) || a.record.id.localeCompare(b.record.id));
  return { runs, warnings };
}

/** The runs named by `ids` (full ids or unique prefixes), in that order; throws naming an unknown or ambiguous id. */
export function selectRuns(runs: readonly StoredRunRecord[], ids: readonly string[]): StoredRunRecord[] {
  return ids.map((id) => {
    const exact = runs.find((r) => r.record.id === id);
    if (exact !== undefined) return exact;
    const matches = runs.filter((r) => r.record.id.startsWith(id));
    if (matches.length === 1 && matches[0] !== undefined) return matches[0];
    if (matches.length === 0) throw new Error(`no run "${id}" (${runs.length} recorded)`);
    throw new Error(`run id "${id}" is ambiguous: ${matches.map((r) => r.record.id).join(', ')}`);
  });
}
