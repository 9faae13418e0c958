import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { MnistFile } from '../../src/data/download';
import { encodeIdxImages, encodeIdxLabels } from '../../src/data/idx';
import { defaultCacheDir, loadMnist } from '../../src/data/mnist';
import { errorLine, exitCodeOf } from '../../src/entry';

const TRAIN = 12;
const TEST = 5;

function images(count: number, salt: number, rows = 28, cols = 28): Uint8Array {
  const pixels = Uint8Array.from({ length: count * rows * cols }, (_, p) => (p * 31 + salt) % 256);
  return encodeIdxImages({ count, rows, cols, pixels });
}

function labels(count: number, salt: number): Uint8Array {
  return encodeIdxLabels(Uint8Array.from({ length: count }, (_, i) => (i * 3 + salt) % 10));
}

/** The four files, gzipped, under their standard names. */
const GZ: Record<string, Buffer> = {
  'train-images-idx3-ubyte.gz': gzipSync(images(TRAIN, 1)),
  'train-labels-idx1-ubyte.gz': gzipSync(labels(TRAIN, 1)),
  't10k-images-idx3-ubyte.gz': gzipSync(images(TEST, 2)),
  't10k-labels-idx1-ubyte.gz': gzipSync(labels(TEST, 2)),
};
const FILES: MnistFile[] = Object.entries(GZ).map(([name, body]) => ({
  name,
  sha256: createHash('sha256').update(body).digest('hex'),
  bytes: body.length,
}));

let server: Server;
let mirror: string;
let requests = 0;
let dir: string;

before(async () => {
  server = createServer((req, res) => {
    requests++;
    const body = GZ[(req.url ?? '').replace('/mnist/', '')];
    if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mnist/`;
});

after(() => {
  server.close();
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rnn-mnist-test-'));
  requests = 0;
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Writes the four files into `dir`, gzipped or not, with `override` replacing some of them. */
function writeDir(target: string, gzipped: boolean, override: Record<string, Uint8Array> = {}): void {
  mkdirSync(target, { recursive: true });
  const plain: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte': images(TRAIN, 1),
    'train-labels-idx1-ubyte': labels(TRAIN, 1),
    't10k-images-idx3-ubyte': images(TEST, 2),
    't10k-labels-idx1-ubyte': labels(TEST, 2),
    ...override,
  };
  for (const [name, body] of Object.entries(plain)) {
    writeFileSync(join(target, gzipped ? `${name}.gz` : name), gzipped ? gzipSync(body) : body);
  }
}

describe('loadMnist from a directory', () => {
  for (const gzipped of [true, false]) {
    test(`reads ${gzipped ? 'gzipped' : 'plain'} IDX files and splits off validation like TF`, async () => {
      writeDir(dir, gzipped);
      const data = await loadMnist({ source: dir, validationSize: 3 });
      assert.equal(data.source, 'idx');
      assert.equal(data.description, `MNIST IDX files from ${dir} (9 train, 3 validation, 5 test)`);
      // Validation is the first 3 training images, train the other 9, in file order.
      assert.deepEqual([...data.validation.labels], [1, 4, 7]);
      assert.deepEqual([...data.train.labels], [0, 3, 6, 9, 2, 5, 8, 1, 4]);
      assert.deepEqual([...data.test.labels], [2, 5, 8, 1, 4]);
      // Pixel p of the training file is (p * 31 + 1) % 256, scaled by 1/255.
      const p = 3 * 784 + 100; // train example 0 is training image 3
      assert.equal(data.train.image(0)[100], Math.fround(((p * 31 + 1) % 256) * (1 / 255)));
      assert.ok(data.train.images.every((v) => v >= 0 && v <= 1));
    });
  }

  test('accepts the dotted names some mirrors use', async () => {
    const plain = join(dir, 'plain');
    const dotted = join(dir, 'dotted');
    writeDir(plain, false);
    mkdirSync(dotted);
    for (const name of readdirSync(plain)) copyFileSync(join(plain, name), join(dotted, name.replace('-idx', '.idx')));
    const data = await loadMnist({ source: dotted, validationSize: 0 });
    assert.equal(data.train.numExamples, TRAIN);
    assert.equal(data.validation.numExamples, 0);
  });

  test('names a missing directory', async () => {
    const missing = join(dir, 'nope');
    await assert.rejects(loadMnist({ source: missing }), {
      message: `MNIST directory ${missing} does not exist (expected the four IDX files there, or source 'auto', 'bundled' or 'download')`,
    });
  });

  test('names a missing file', async () => {
    writeDir(dir, true);
    rmSync(join(dir, 't10k-labels-idx1-ubyte.gz'));
    await assert.rejects(loadMnist({ source: dir }), {
      message: `MNIST directory ${dir} has no t10k-labels-idx1-ubyte.gz or t10k-labels-idx1-ubyte or t10k-labels.idx1-ubyte`,
    });
  });

  test('rejects images that are not 28x28', async () => {
    writeDir(dir, true, { 't10k-images-idx3-ubyte': images(TEST, 2, 32, 32) });
    await assert.rejects(loadMnist({ source: dir, validationSize: 3 }), {
      message: `${join(dir, 't10k-images-idx3-ubyte.gz')}: images are 32x32, expected 28x28 (MNIST)`,
    });
  });

  test('rejects image and label files of different counts, naming both', async () => {
    writeDir(dir, false, { 'train-labels-idx1-ubyte': labels(TRAIN - 1, 1) });
    await assert.rejects(loadMnist({ source: dir, validationSize: 3 }), {
      message: `${join(dir, 'train-images-idx3-ubyte')} holds 12 images but ${join(dir, 'train-labels-idx1-ubyte')} holds 11 labels`,
    });
  });

  test('passes on IDX errors naming the file: bad magic, truncation, labels above 9, corrupt gzip', async () => {
    const cases: Array<[Record<string, Uint8Array>, RegExp]> = [
      [
        { 'train-images-idx3-ubyte': labels(TRAIN, 1) },
        /train-images-idx3-ubyte\.gz: not an IDX images file \(magic number 2049, expected 2051\)/,
      ],
      [{ 't10k-images-idx3-ubyte': images(TEST, 2).subarray(0, 900) }, /t10k-images-idx3-ubyte\.gz: truncated file/],
      [
        { 't10k-labels-idx1-ubyte': encodeIdxLabels(Uint8Array.of(1, 2, 3, 4, 12)) },
        /t10k-labels-idx1-ubyte\.gz: label 12 at index 4/,
      ],
    ];
    for (const [override, expected] of cases) {
      writeDir(dir, true, override);
      await assert.rejects(loadMnist({ source: dir, validationSize: 3 }), expected);
    }
    writeDir(dir, true);
    const gz = gzipSync(labels(TEST, 2));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gz.subarray(0, gz.length - 6));
    await assert.rejects(
      loadMnist({ source: dir, validationSize: 3 }),
      /t10k-labels-idx1-ubyte\.gz: corrupt gzip data/,
    );
  });

  test('a folder where a data file should be is named: EISDIR with the path, one line and exit 2 on a command line', async () => {
    writeDir(dir, false);
    rmSync(join(dir, 't10k-labels-idx1-ubyte'));
    mkdirSync(join(dir, 't10k-labels-idx1-ubyte'));
    const error = await loadMnist({ source: dir, validationSize: 3 }).then(
      () => assert.fail('a folder was read as a data file'),
      (e: unknown) => e,
    );
    assert.equal((error as NodeJS.ErrnoException).code, 'EISDIR');
    assert.equal(exitCodeOf(error), 2);
    assert.equal(
      errorLine('tutorial', error),
      `tutorial: a folder where a file was expected at ${join(dir, 't10k-labels-idx1-ubyte')} (EISDIR: illegal operation on a directory, read)`,
    );
  });

  test('rejects a validationSize larger than the training set', async () => {
    writeDir(dir, true);
    await assert.rejects(
      loadMnist({ source: dir }),
      /validationSize 5000 must be an integer from 0 to 12 \(the images in .*train-images-idx3-ubyte\.gz\)/,
    );
  });
});

describe('loadMnist auto and download', () => {
  test('downloads into the cache, then uses the cache without the network', async () => {
    const progress: string[] = [];
    const notices: string[] = [];
    const first = await loadMnist({
      cacheDir: dir,
      mirror,
      files: FILES,
      validationSize: 2,
      seed: 4,
      onProgress: (p) => progress.push(p.file),
      onNotice: (m) => notices.push(m),
    });
    assert.equal(first.source, 'idx');
    assert.equal(first.description, `MNIST IDX files from ${dir} (10 train, 2 validation, 5 test)`);
    assert.equal(requests, 4);
    assert.deepEqual(
      [...new Set(progress)],
      FILES.map((f) => f.name),
    );
    assert.deepEqual(readdirSync(dir).sort(), FILES.map((f) => f.name).sort());

    const offline = `http://127.0.0.1:${await closedPort()}/`;
    const second = await loadMnist({
      cacheDir: dir,
      mirror: offline,
      files: FILES,
      validationSize: 2,
      seed: 4,
      onNotice: (m) => notices.push(m),
    });
    assert.equal(second.source, 'idx');
    assert.equal(requests, 4);
    assert.deepEqual(notices, []);
    assert.deepEqual(second.test.labels, first.test.labels);
  });

  test('auto falls back to the bundled digits with one notice when the mirror is down', async () => {
    const port = await closedPort();
    const notices: string[] = [];
    const data = await loadMnist({
      cacheDir: dir,
      mirror: `http://127.0.0.1:${port}/`,
      files: FILES,
      onNotice: (m) => notices.push(m),
    });
    assert.equal(data.source, 'bundled');
    assert.equal(data.train.numExamples, 8500);
    assert.deepEqual(notices, [
      `MNIST download failed (connect ECONNREFUSED 127.0.0.1:${port}; mirror http://127.0.0.1:${port}/): using the 10,000 bundled digits instead`,
    ]);
    assert.deepEqual(readdirSync(dir), [], 'no partial files in the cache');
  });

  test('download fails loudly when the mirror is down', async () => {
    const port = await closedPort();
    await assert.rejects(
      loadMnist({ source: 'download', cacheDir: dir, mirror: `http://127.0.0.1:${port}`, files: FILES }),
      {
        name: 'DownloadError',
        message: `download of http://127.0.0.1:${port}/train-images-idx3-ubyte.gz failed: connect ECONNREFUSED 127.0.0.1:${port}`,
      },
    );
    assert.deepEqual(readdirSync(dir), []);
  });

  test('download re-fetches a cached file with a wrong checksum, with a notice', async () => {
    await loadMnist({ source: 'download', cacheDir: dir, mirror, files: FILES, validationSize: 2 });
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), 'garbage');
    requests = 0;
    const notices: string[] = [];
    const data = await loadMnist({
      source: 'download',
      cacheDir: dir,
      mirror,
      files: FILES,
      validationSize: 2,
      onNotice: (m) => notices.push(m),
    });
    assert.equal(requests, 1);
    assert.equal(notices.length, 1);
    assert.match(notices[0] ?? '', /t10k-labels-idx1-ubyte\.gz has 7 bytes, expected \d+: downloading it again/);
    assert.equal(data.test.numExamples, TEST);
  });

  test('takes the mirror from RNN_MNIST_MIRROR and rejects files without the standard names', async () => {
    const data = await loadMnist({
      source: 'download',
      cacheDir: dir,
      files: FILES,
      validationSize: 2,
      env: { RNN_MNIST_MIRROR: mirror },
    });
    assert.equal(data.source, 'idx');
    await assert.rejects(
      loadMnist({ cacheDir: dir, mirror, files: [{ name: 'x.gz', sha256: '00' }] }),
      /files must include train-images-idx3-ubyte\.gz or/,
    );
  });

  test('bundled needs no files at all', async () => {
    const data = await loadMnist({ source: 'bundled', seed: 1 });
    assert.equal(data.source, 'bundled');
  });
});

describe('defaultCacheDir', () => {
  test('prefers RNN_CACHE_DIR, then XDG_CACHE_HOME, then HOME/.cache', () => {
    assert.equal(defaultCacheDir({ RNN_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' }), '/c');
    assert.equal(defaultCacheDir({ RNN_CACHE_DIR: '', XDG_CACHE_HOME: '/x', HOME: '/h' }), '/x/rnn-notebooks/mnist');
    assert.equal(defaultCacheDir({ HOME: '/h' }), '/h/.cache/rnn-notebooks/mnist');
  });
});
