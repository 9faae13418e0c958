/**
 * `loadMnist`: the equivalent of TF1's `input_data.read_data_sets(dir, one_hot=True)`, which the
 * tutorial's first step calls. From the four IDX files it makes 55,000 train, 5,000 validation
 * (the first 5,000 training images, as TF does) and 10,000 test examples, pixels scaled to
 * [0, 1]. Where the files cannot be had (offline), `auto` says so and uses the bundled digits.
 */
import { UsageError } from '../errors';
import { InterruptedError, type StopOptions } from '../interrupt';
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BUNDLED_SPLIT, loadBundled } from './bundled';
import { DataSet, type Datasets, IMAGE_PIXELS, IMAGE_SIZE, splitSeeds } from './dataset';
import {
  DEFAULT_MIRROR,
  DownloadError,
  type DownloadProgress,
  ensureMnistFiles,
  MNIST_FILES,
  type MnistFile,
} from './download';
import { maybeGunzip, parseIdxImages, parseIdxLabels } from './idx';

// Defined next to DataSet so that bundled.ts can use it without importing this file.
export type { Datasets } from './dataset';

/** 'auto', 'bundled', 'download', or any other string: a directory holding the four IDX files. */
export type DataSource = 'auto' | 'bundled' | 'download' | string;

/** Options of `loadMnist`; every field is optional (see DEFAULTS and `defaultCacheDir`). */
export interface LoadMnistOptions extends StopOptions {
  /** Where the data comes from (default 'auto': cache, else download, else bundled with a notice). */
  readonly source?: DataSource;
  /** Cache for downloads (default `defaultCacheDir()`). */
  readonly cacheDir?: string;
  /** Base URL of the files (default $RNN_MNIST_MIRROR, else TF's DEFAULT_MIRROR). */
  readonly mirror?: string;
  /** The files with their pinned SHA-256 (default MNIST_FILES); names must be the standard ones. */
  readonly files?: readonly MnistFile[];
  /** Training images held out for validation (default 5000, like TF); the bundled split is fixed. */
  readonly validationSize?: number;
  /** Seed of the DataSets' shuffling (default 0); never changes which examples are in which split. */
  readonly seed?: number;
  /** Told, in one line, about anything the caller should know: fallback to bundled data, re-downloads. */
  readonly onNotice?: (message: string) => void;
  readonly onProgress?: (progress: DownloadProgress) => void;
  /** Per download: give up after this long without data (ms, default 60000). */
  readonly timeoutMs?: number;
  /** Where RNN_CACHE_DIR, XDG_CACHE_HOME, HOME and RNN_MNIST_MIRROR are read (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const DEFAULTS = { source: 'auto', validationSize: 5000, seed: 0 } as const;

/** The four files by role; each may be gzipped or not, under any of the usual names. */
const ROLES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;
type Role = keyof typeof ROLES;

/** Names a file of `role` may have: the archive, unpacked, and the dotted spelling some mirrors use. */
function candidateNames(role: Role): string[] {
  const base = ROLES[role];
  return [`${base}.gz`, base, base.replace('-idx', '.idx')];
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** $RNN_CACHE_DIR, else $XDG_CACHE_HOME/rnn-notebooks/mnist, else ~/.cache/rnn-notebooks/mnist. */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const explicit = nonEmpty(env.RNN_CACHE_DIR);
  if (explicit !== undefined) return explicit;
  const cacheHome = nonEmpty(env.XDG_CACHE_HOME) ?? join(nonEmpty(env.HOME) ?? homedir(), '.cache');
  return join(cacheHome, 'rnn-notebooks', 'mnist');
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

/** Path of each role's file in `dir`, trying `names(role)` in order; a clear error names what is missing. */
async function locate(dir: string, names: (role: Role) => readonly string[]): Promise<Record<Role, string>> {
  const found: Partial<Record<Role, string>> = {};
  for (const role of Object.keys(ROLES) as Role[]) {
    for (const name of names(role)) {
      if (await exists(join(dir, name))) {
        found[role] = join(dir, name);
        break;
      }
    }
    const path = found[role];
    if (path === undefined) throw new UsageError(`MNIST directory ${dir} has no ${names(role).join(' or ')}`);
  }
  return found as Record<Role, string>;
}

async function readIdx(path: string): Promise<Uint8Array> {
  const bytes = await readFile(path).catch((e: unknown) => {
    // Node's error for reading a folder (EISDIR) carries no path: say which data file it was.
    if (e instanceof Error && (e as NodeJS.ErrnoException).path === undefined) Object.assign(e, { path });
    throw e;
  });
  return maybeGunzip(bytes, path);
}

interface Examples {
  readonly pixels: Float32Array; // [count * 784] in [0, 1]
  readonly labels: Uint8Array; // [count]
}

/** Reads the four IDX files and splits them like `read_data_sets`. */
async function readIdxDatasets(
  dir: string,
  paths: Record<Role, string>,
  validationSize: number,
  seed: number,
): Promise<Datasets> {
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    readIdx(paths.trainImages),
    readIdx(paths.trainLabels),
    readIdx(paths.testImages),
    readIdx(paths.testLabels),
  ]);
  const pair = (images: Uint8Array, labels: Uint8Array, imagesPath: string, labelsPath: string): Examples => {
    const parsed = parseIdxImages(images, imagesPath);
    if (parsed.rows !== IMAGE_SIZE || parsed.cols !== IMAGE_SIZE) {
      throw new UsageError(
        `${imagesPath}: images are ${parsed.rows}x${parsed.cols}, expected ${IMAGE_SIZE}x${IMAGE_SIZE} (MNIST)`,
      );
    }
    const digits = parseIdxLabels(labels, labelsPath);
    if (digits.length !== parsed.count) {
      throw new UsageError(
        `${imagesPath} holds ${parsed.count} images but ${labelsPath} holds ${digits.length} labels`,
      );
    }
    // TF1's DataSet multiplies by 1/255 in float32; the same here.
    const pixels = new Float32Array(parsed.pixels.length);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (parsed.pixels[i] ?? 0) * (1 / 255);
    return { pixels, labels: digits };
  };
  const train = pair(trainImages, trainLabels, paths.trainImages, paths.trainLabels);
  const test = pair(testImages, testLabels, paths.testImages, paths.testLabels);

  const nTrain = train.labels.length;
  if (!Number.isInteger(validationSize) || validationSize < 0 || validationSize > nTrain) {
    throw new UsageError(
      `validationSize ${validationSize} must be an integer from 0 to ${nTrain} (the images in ${paths.trainImages})`,
    );
  }
  const seeds = splitSeeds(seed);
  const cut = validationSize * IMAGE_PIXELS;
  // Views, not copies: DataSet never writes to its arrays, and the training images are 172 MB.
  const validation = new DataSet(train.pixels.subarray(0, cut), train.labels.subarray(0, validationSize), {
    seed: seeds.validation,
  });
  const rest = new DataSet(train.pixels.subarray(cut), train.labels.subarray(validationSize), { seed: seeds.train });
  const testSet = new DataSet(test.pixels, test.labels, { seed: seeds.test });
  return {
    train: rest,
    validation,
    test: testSet,
    source: 'idx',
    description: `MNIST IDX files from ${dir} (${rest.numExamples} train, ${validation.numExamples} validation, ${testSet.numExamples} test)`,
  };
}

/** The name in `files` for each role (the cache holds exactly those names). */
function namesFromFiles(files: readonly MnistFile[]): (role: Role) => readonly string[] {
  return (role) => {
    const name = files.map((f) => f.name).find((n) => candidateNames(role).includes(n));
    if (name === undefined) {
      throw new UsageError(
        `files must include ${candidateNames(role).join(' or ')} (got ${files.map((f) => f.name).join(', ')})`,
      );
    }
    return [name];
  };
}

/** MNIST as train/validation/test DataSets (xs [batch, 28, 28], ys one-hot [batch, 10]), like `read_data_sets(dir, one_hot=True)`. */
export async function loadMnist(options: LoadMnistOptions = {}): Promise<Datasets> {
  const source = options.source ?? DEFAULTS.source;
  const seed = options.seed ?? DEFAULTS.seed;
  const validationSize = options.validationSize ?? DEFAULTS.validationSize;
  if (source === 'bundled') return loadBundled({ seed });

  if (source !== 'auto' && source !== 'download') {
    if (!(await exists(source))) {
      throw new UsageError(
        `MNIST directory ${source} does not exist (expected the four IDX files there, or source 'auto', 'bundled' or 'download')`,
      );
    }
    return readIdxDatasets(source, await locate(source, candidateNames), validationSize, seed);
  }

  const env = options.env ?? process.env;
  const cacheDir = options.cacheDir ?? defaultCacheDir(env);
  const mirror = options.mirror ?? nonEmpty(env.RNN_MNIST_MIRROR) ?? DEFAULT_MIRROR;
  const files = options.files ?? MNIST_FILES;
  const names = namesFromFiles(files);
  (Object.keys(ROLES) as Role[]).forEach(names); // fail on a bad `files` before any download
  try {
    await ensureMnistFiles(cacheDir, mirror, files, {
      timeoutMs: options.timeoutMs, // undefined: the download's own default (download.ts)
      onProgress: options.onProgress,
      onNotice: options.onNotice,
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      ...(options.stopOnSigint !== undefined ? { stopOnSigint: options.stopOnSigint } : {}),
    });
  } catch (err) {
    // A stop request is not a failed download: no fallback to the bundled digits.
    if (source === 'download' || err instanceof InterruptedError) throw err;
    const why = err instanceof DownloadError ? err.problem : err instanceof Error ? err.message : String(err);
    const total = BUNDLED_SPLIT.train + BUNDLED_SPLIT.validation + BUNDLED_SPLIT.test;
    options.onNotice?.(
      `MNIST download failed (${why}; mirror ${mirror}): using the ${total.toLocaleString('en-US')} bundled digits instead`,
    );
    return loadBundled({ seed });
  }
  return readIdxDatasets(cacheDir, await locate(cacheDir, names), validationSize, seed);
}
