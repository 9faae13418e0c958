import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import {
  DownloadError,
  type DownloadProgress,
  downloadFile,
  ensureMnistFiles,
  MNIST_FILES,
  type MnistFile,
  mirrorUrl,
} from '../../src/data/download';
import { InterruptedError } from '../../src/interrupt';

const BODY = randomBytes(3000);
const BODY_SHA = createHash('sha256').update(BODY).digest('hex');
const OTHER = randomBytes(500);
const requests: string[] = [];

/** A local server with one route per way a download can go. */
function startServer(): Promise<Server> {
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    requests.push(path);
    if (path === '/ok.gz' || path === '/mirror/a.gz') {
      res.writeHead(200, { 'content-length': BODY.length });
      // Several writes so the client sees several chunks.
      for (let i = 0; i < BODY.length; i += 1000) res.write(BODY.subarray(i, i + 1000));
      res.end();
    } else if (path === '/mirror/b.gz') {
      res.writeHead(200, { 'content-length': OTHER.length }).end(OTHER);
    } else if (path === '/chunked.gz') {
      res.writeHead(200); // no content-length: chunked encoding
      res.end(BODY);
    } else if (path === '/redirect') {
      res.writeHead(302, { location: '/ok.gz' }).end();
    } else if (path === '/loop') {
      res.writeHead(301, { location: '/loop' }).end();
    } else if (path === '/500') {
      res.writeHead(500).end('boom');
    } else if (path === '/drop') {
      res.writeHead(200, { 'content-length': 5000 });
      res.write(randomBytes(1000), () => res.socket?.destroy());
    } else if (path === '/stall') {
      res.writeHead(200, { 'content-length': 5000 });
      res.write(randomBytes(10)); // and then nothing
    } else {
      res.writeHead(404).end('not here');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** A 127.0.0.1 port with nothing listening: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let server: Server;
let base: string;
let dir: string;

before(async () => {
  server = await startServer();
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rnn-download-test-'));
  requests.length = 0;
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Asserts that a failed download left the directory as it was: only the good file, unchanged. */
function assertUntouched(dest: string): void {
  assert.deepEqual(readdirSync(dir), ['x.gz']);
  assert.equal(readFileSync(dest, 'utf8'), 'GOOD');
}

async function failingDownload(
  url: string,
  expected: string | RegExp,
  options: { sha256?: string; timeoutMs?: number } = {},
): Promise<void> {
  const dest = join(dir, 'x.gz');
  writeFileSync(dest, 'GOOD');
  await assert.rejects(downloadFile(url, dest, options), (err: unknown) => {
    assert.ok(err instanceof DownloadError);
    assert.equal(err.url, url);
    if (typeof expected === 'string') assert.equal(err.message, `download of ${url} failed: ${expected}`);
    else assert.match(err.message, expected);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  });
  assertUntouched(dest);
}

describe('downloadFile', () => {
  test('downloads, verifies the SHA-256 and reports progress', async () => {
    const dest = join(dir, 'sub', 'dir', 'ok.gz'); // creates missing directories
    const progress: DownloadProgress[] = [];
    await downloadFile(`${base}/ok.gz`, dest, {
      sha256: BODY_SHA,
      bytes: BODY.length,
      onProgress: (p) => progress.push(p),
    });
    assert.deepEqual(readFileSync(dest), BODY);
    assert.deepEqual(readdirSync(join(dir, 'sub', 'dir')), ['ok.gz']);
    assert.ok(progress.length >= 1);
    assert.deepEqual(progress.at(-1), { file: 'ok.gz', receivedBytes: 3000, totalBytes: 3000 });
    assert.ok(progress.every((p, i) => i === 0 || p.receivedBytes > (progress[i - 1]?.receivedBytes ?? 0)));
  });

  test('replaces an existing file once the new one is complete', async () => {
    const dest = join(dir, 'x.gz');
    writeFileSync(dest, 'OLD');
    await downloadFile(`${base}/ok.gz`, dest, { sha256: BODY_SHA.toUpperCase() });
    assert.deepEqual(readFileSync(dest), BODY);
    assert.deepEqual(readdirSync(dir), ['x.gz']);
  });

  test('follows redirects and accepts a body without content-length', async () => {
    await downloadFile(`${base}/redirect`, join(dir, 'r.gz'), { sha256: BODY_SHA });
    await downloadFile(`${base}/chunked.gz`, join(dir, 'c.gz'), { sha256: BODY_SHA });
    assert.deepEqual(readdirSync(dir).sort(), ['c.gz', 'r.gz']);
    assert.deepEqual(requests, ['/redirect', '/ok.gz', '/chunked.gz']);
  });

  test('fails on HTTP 404', () => failingDownload(`${base}/missing.gz`, 'HTTP 404 Not Found'));
  test('fails on HTTP 500', () => failingDownload(`${base}/500`, 'HTTP 500 Internal Server Error'));
  test('fails on endless redirects', () => failingDownload(`${base}/loop`, 'more than 5 redirects'));
  test('fails when the connection drops mid-file', () =>
    failingDownload(`${base}/drop`, 'connection closed after 1000 of 5000 bytes'));
  test('fails on a checksum mismatch', () =>
    failingDownload(`${base}/ok.gz`, `SHA-256 mismatch (expected ${'ab'.repeat(32)}, got ${BODY_SHA})`, {
      sha256: 'ab'.repeat(32),
    }));
  test('fails on a size mismatch', async () => {
    const dest = join(dir, 'x.gz');
    writeFileSync(dest, 'GOOD');
    await assert.rejects(
      downloadFile(`${base}/chunked.gz`, dest, { bytes: 10 }),
      /: size mismatch \(expected 10 bytes, got 3000\)$/,
    );
    assertUntouched(dest);
  });
  test('fails when nothing arrives for timeoutMs', () =>
    failingDownload(`${base}/stall`, 'timed out (no data for 200 ms)', { timeoutMs: 200 }));
  test('stops when its signal aborts, mid-file: an InterruptedError naming the bytes, nothing left in the folder', async () => {
    const controller = new AbortController();
    const dest = join(dir, 'stalled.gz');
    const run = downloadFile(`${base}/stall`, dest, {
      timeoutMs: 10_000,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await assert.rejects(
      run,
      (e: unknown) =>
        e instanceof InterruptedError && e.message === 'download of stalled.gz interrupted at byte 10 of 5000',
    );
    assert.deepEqual(readdirSync(dir), [], 'no partial or temporary file');
  });
  test('stops on SIGINT while the process keeps running', async () => {
    const keepAlive = (): void => {};
    process.on('SIGINT', keepAlive);
    try {
      const run = downloadFile(`${base}/stall`, join(dir, 'x.gz'), {
        timeoutMs: 10_000,
        onProgress: () => process.kill(process.pid, 'SIGINT'),
      });
      await assert.rejects(run, InterruptedError);
    } finally {
      process.removeListener('SIGINT', keepAlive);
    }
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(process.listenerCount('SIGINT'), 0);
  });
  test('fails when the connection is refused', async () => {
    const port = await closedPort();
    await failingDownload(`http://127.0.0.1:${port}/x.gz`, `connect ECONNREFUSED 127.0.0.1:${port}`);
  });
  test('fails on an unsupported protocol or a bad URL', async () => {
    await failingDownload('ftp://127.0.0.1/x.gz', 'unsupported protocol ftp:');
    await failingDownload('nonsense', 'not a valid URL');
  });
});

describe('ensureMnistFiles', () => {
  const files: MnistFile[] = [
    { name: 'a.gz', sha256: BODY_SHA, bytes: BODY.length },
    { name: 'b.gz', sha256: createHash('sha256').update(OTHER).digest('hex') },
  ];

  test('downloads what is missing, then nothing', async () => {
    await ensureMnistFiles(dir, `${base}/mirror`, files);
    assert.deepEqual(readdirSync(dir).sort(), ['a.gz', 'b.gz']);
    assert.deepEqual(requests, ['/mirror/a.gz', '/mirror/b.gz']);
    await ensureMnistFiles(dir, `${base}/mirror/`, files);
    assert.equal(requests.length, 2);
  });

  test('downloads again a cached file whose checksum is wrong, saying so', async () => {
    writeFileSync(join(dir, 'a.gz'), BODY);
    writeFileSync(join(dir, 'b.gz'), 'corrupt');
    const notices: string[] = [];
    await ensureMnistFiles(dir, `${base}/mirror`, files, { onNotice: (m) => notices.push(m) });
    assert.deepEqual(requests, ['/mirror/b.gz']);
    assert.deepEqual(readFileSync(join(dir, 'b.gz')), OTHER);
    assert.equal(notices.length, 1);
    assert.match(
      notices[0] ?? '',
      /^cached .*b\.gz has SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64}: downloading it again$/,
    );
  });

  test('stops at the first failure, leaving no partial files', async () => {
    await assert.rejects(
      ensureMnistFiles(dir, `${base}/nowhere`, files),
      new RegExp(`^DownloadError: download of ${base}/nowhere/a\\.gz failed: HTTP 404 Not Found$`),
    );
    assert.deepEqual(readdirSync(dir), []);
  });
});

describe('MNIST_FILES and mirrorUrl', () => {
  test('pins the four standard files with SHA-256 and size', () => {
    assert.deepEqual(
      MNIST_FILES.map((f) => f.name),
      [
        'train-images-idx3-ubyte.gz',
        'train-labels-idx1-ubyte.gz',
        't10k-images-idx3-ubyte.gz',
        't10k-labels-idx1-ubyte.gz',
      ],
    );
    for (const f of MNIST_FILES) {
      assert.match(f.sha256, /^[0-9a-f]{64}$/);
      assert.ok((f.bytes ?? 0) > 0);
    }
  });

  test('joins the mirror and the name with or without a trailing slash', () => {
    assert.equal(mirrorUrl('http://127.0.0.1:1/m', 'a.gz'), 'http://127.0.0.1:1/m/a.gz');
    assert.equal(mirrorUrl('http://127.0.0.1:1/m/', 'a.gz'), 'http://127.0.0.1:1/m/a.gz');
    assert.throws(() => mirrorUrl('not a url', 'a.gz'), /MNIST mirror "not a url" is not a valid URL/);
  });
});

describe('downloadFile errors that are not the network', () => {
  test('reports a failing onProgress callback as itself and still cleans up', async () => {
    const dest = join(dir, 'x.gz');
    writeFileSync(dest, 'GOOD');
    const onProgress = (): void => {
      throw new Error('callback broke');
    };
    await assert.rejects(downloadFile(`${base}/ok.gz`, dest, { onProgress }), {
      message: `download of ${base}/ok.gz failed: callback broke`,
    });
    assertUntouched(dest);
  });
});
