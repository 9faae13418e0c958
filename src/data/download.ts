/**
 * Downloading the MNIST files into a cache directory, safely: a file appears under its final
 * name only once it is complete and its SHA-256 matches, so an interrupted or corrupted
 * download can never be mistaken for data on the next run.
 */
import { UsageError } from '../errors';
import { watchForStop, type StopOptions } from '../interrupt';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { basename, dirname, join } from 'node:path';

/** One file to fetch: its name on the mirror and in the cache, its SHA-256 (hex) and, if known, its size. */
export interface MnistFile {
  readonly name: string;
  readonly sha256: string;
  readonly bytes?: number;
}

/** TF1's `read_data_sets` mirror (Google's copy of Yann LeCun's files). */
export const DEFAULT_MIRROR = 'https://storage.googleapis.com/cvdf-datasets/mnist/';

/**
 * The four standard gzipped IDX files. Sizes and SHA-256 from tensorflow/datasets
 * `tensorflow_datasets/url_checksums/mnist.txt` (URLs on DEFAULT_MIRROR); the same hashes are
 * pinned by torchvision's MNIST and many other loaders.
 */
export const MNIST_FILES: readonly MnistFile[] = [
  {
    name: 'train-images-idx3-ubyte.gz',
    bytes: 9912422,
    sha256: '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609',
  },
  {
    name: 'train-labels-idx1-ubyte.gz',
    bytes: 28881,
    sha256: '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c',
  },
  {
    name: 't10k-images-idx3-ubyte.gz',
    bytes: 1648877,
    sha256: '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6',
  },
  {
    name: 't10k-labels-idx1-ubyte.gz',
    bytes: 4542,
    sha256: 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6',
  },
];

/** Reported as bytes arrive; `totalBytes` is the server's content-length, when it sends one. */
export interface DownloadProgress {
  readonly file: string;
  readonly receivedBytes: number;
  readonly totalBytes?: number;
}

/** Options of `downloadFile`: what to verify, how long to wait, whom to tell about progress. */
export interface DownloadOptions extends StopOptions {
  /** Expected SHA-256 (hex); the file is rejected if it differs. */
  readonly sha256?: string;
  /** Expected size in bytes; the file is rejected if it differs. */
  readonly bytes?: number;
  /** Give up when no data arrives for this long (ms, default 60000): slow but moving downloads go on. */
  readonly timeoutMs?: number;
  readonly onProgress?: (progress: DownloadProgress) => void;
}

const DEFAULTS = { timeoutMs: 60_000, maxRedirects: 5 } as const;

/** A failed download: `problem` is the short reason, the message adds the URL. */
export class DownloadError extends UsageError {
  override readonly name: string = 'DownloadError';
  constructor(
    readonly url: string,
    readonly problem: string,
  ) {
    super(`download of ${url} failed: ${problem}`);
  }
}

/** Readable one-liner for Node's network errors (Node 20 may throw an AggregateError with an empty message). */
function describe(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map(describe).join('; ');
  if (err instanceof Error) return err.message || ('code' in err ? String(err.code) : err.name);
  return String(err);
}

/** GETs `url`, following up to a few redirects; resolves with the 200 response, unread. */
async function get(url: string, signal: AbortSignal): Promise<http.IncomingMessage> {
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    throw new DownloadError(url, 'not a valid URL');
  }
  for (let redirects = 0; ; redirects++) {
    const client = current.protocol === 'https:' ? https : current.protocol === 'http:' ? http : undefined;
    if (client === undefined) throw new DownloadError(url, `unsupported protocol ${current.protocol}`);
    const target = current;
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      client.get(target, { signal }, resolve).on('error', reject);
    });
    const status = res.statusCode ?? 0;
    if (status === 200) return res;
    res.resume(); // drain so the socket is freed
    const location = res.headers.location;
    if (status >= 300 && status < 400 && location !== undefined) {
      if (redirects >= DEFAULTS.maxRedirects)
        throw new DownloadError(url, `more than ${DEFAULTS.maxRedirects} redirects`);
      current = new URL(location, current);
      continue;
    }
    throw new DownloadError(url, `HTTP ${status} ${res.statusMessage ?? ''}`.trim());
  }
}

/** Downloads `url` to `dest` atomically (temp file + rename), checking length, size and SHA-256. */
export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const file = basename(dest);
  // Same directory as dest so the rename cannot cross file systems; random so parallel runs don't collide.
  const temp = join(dirname(dest), `${file}.${process.pid}-${randomBytes(4).toString('hex')}.part`);
  let handle: FileHandle;
  try {
    await mkdir(dirname(dest), { recursive: true });
    handle = await open(temp, 'wx');
  } catch (err) {
    throw new DownloadError(url, `cannot write ${temp} (${describe(err)})`);
  }
  const controller = new AbortController();
  // Ctrl-C or the caller's signal: abort the request; the temporary file goes as on any failure.
  const stop = watchForStop(options).onStop(() => controller.abort());
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const touch = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
  };
  const timeoutProblem = `timed out (no data for ${timeoutMs} ms)`;
  let received = 0;
  let total: number | undefined;
  try {
    touch();
    const res = await get(url, controller.signal);
    const length = Number(res.headers['content-length']);
    total = Number.isFinite(length) ? length : undefined;
    const hash = createHash('sha256');
    let inBody = false;
    try {
      for await (const chunk of res) {
        inBody = true;
        const buf = chunk as Buffer;
        touch();
        hash.update(buf);
        await handle.write(buf);
        received += buf.length;
        options.onProgress?.({ file, receivedBytes: received, totalBytes: total });
        inBody = false;
      }
    } catch (err) {
      if (inBody) throw err; // the disk or the onProgress callback failed, not the connection
      // Dropped connections surface as 'aborted' / ECONNRESET; what matters is how far we got.
      throw new DownloadError(url, timedOut ? timeoutProblem : closedAfter(received, total));
    } finally {
      clearTimeout(timer);
    }
    if (total !== undefined && received !== total) throw new DownloadError(url, closedAfter(received, total));
    if (options.bytes !== undefined && received !== options.bytes) {
      throw new DownloadError(url, `size mismatch (expected ${options.bytes} bytes, got ${received})`);
    }
    const digest = hash.digest('hex');
    if (options.sha256 !== undefined && digest !== options.sha256.toLowerCase()) {
      throw new DownloadError(url, `SHA-256 mismatch (expected ${options.sha256}, got ${digest})`);
    }
    await handle.close();
    await rename(temp, dest);
  } catch (err) {
    clearTimeout(timer);
    await handle.close().catch(() => undefined); // may already be closed
    await rm(temp, { force: true });
    stop.check(received, total ?? received, `download of ${file}`, 'byte');
    if (err instanceof DownloadError) throw err;
    throw new DownloadError(url, timedOut ? timeoutProblem : describe(err));
  } finally {
    stop.release();
  }
}

function closedAfter(received: number, total: number | undefined): string {
  return total === undefined
    ? `connection closed after ${received} bytes`
    : `connection closed after ${received} of ${total} bytes`;
}

/** SHA-256 (hex) of a file's contents. */
export async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** URL of `name` under the mirror `base`, with or without its trailing slash. */
export function mirrorUrl(base: string, name: string): string {
  try {
    return new URL(name, base.endsWith('/') ? base : `${base}/`).href;
  } catch {
    throw new UsageError(`MNIST mirror "${base}" is not a valid URL (expected e.g. ${DEFAULT_MIRROR})`);
  }
}

/** Why a cached file cannot be used, or undefined if it is fine; 'missing' when it does not exist. */
async function checkCached(path: string, file: MnistFile): Promise<string | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return 'missing';
  if (file.bytes !== undefined && info.size !== file.bytes) return `has ${info.size} bytes, expected ${file.bytes}`;
  const digest = await sha256File(path);
  return digest === file.sha256.toLowerCase() ? undefined : `has SHA-256 ${digest}, expected ${file.sha256}`;
}

/** Options of `ensureMnistFiles`, passed on to each `downloadFile`. */
export interface EnsureOptions extends StopOptions {
  readonly timeoutMs?: number;
  readonly onProgress?: (progress: DownloadProgress) => void;
  /** Told when a cached file is bad and gets downloaded again. */
  readonly onNotice?: (message: string) => void;
}

/** Makes `cacheDir` hold every file of `files` with the right checksum, downloading only what is missing or bad. */
export async function ensureMnistFiles(
  cacheDir: string,
  mirror: string,
  files: readonly MnistFile[],
  options: EnsureOptions = {},
): Promise<void> {
  // One watcher for all the files, so that a stop between two downloads is seen too.
  const controller = new AbortController();
  const stop = watchForStop(options).onStop(() => controller.abort());
  try {
    // One at a time: the machine is small, and progress for one file at a time reads better.
    for (const [k, file] of files.entries()) {
      stop.check(k, files.length, 'download', 'file');
      const path = join(cacheDir, file.name);
      const problem = await checkCached(path, file);
      if (problem === undefined) continue;
      if (problem !== 'missing') options.onNotice?.(`cached ${path} ${problem}: downloading it again`);
      await downloadFile(mirrorUrl(mirror, file.name), path, {
        sha256: file.sha256,
        bytes: file.bytes,
        timeoutMs: options.timeoutMs,
        onProgress: options.onProgress,
        signal: controller.signal,
        stopOnSigint: false,
      });
    }
  } finally {
    stop.release();
  }
}
