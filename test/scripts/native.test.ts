/**
 * `npm run native` (scripts/native.ts): idempotent where tfjs-node loads, and every missing
 * prerequisite or bad source is one line naming it, exit code 2, with the working tfjs-node left
 * as it was and no temporary folder behind. The successful build itself runs in CI's set-up
 * (`.ci/run` builds tfjs-node with it on a clean clone), and every tensorflow test runs on it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path, { join, resolve } from 'node:path';
import { findNodeHeaders, LSTM_ADDON, parseNativeArgs, SetupError, wheelPlatform } from '../../scripts/native';
import { tensorflowUnavailable } from '../backends';

const ROOT = resolve(__dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'native.ts');
const loads = tensorflowUnavailable() === undefined;
const skipUnlessLoads =
  !loads && 'tfjs-node does not load here (these check that a failed rebuild leaves a working one alone)';

function native(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function stillLoads(): void {
  const r = spawnSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
  });
  assert.equal(r.status, 0, `tfjs-node no longer loads: ${r.stderr}`);
  const scratch = join(ROOT, 'node_modules', '.cache');
  const left = existsSync(scratch) ? readdirSync(scratch).filter((f) => f.startsWith('rnn-native-')) : [];
  assert.deepEqual(left, [], 'no temporary build folder left behind');
}

/** The one `native: ...` line a failure prints, and its exit code 2. */
function assertOneLineFailure(r: { status: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
  assert.match(lines[0] ?? '', pattern);
}

test('flags: unknown ones and two sources are errors; defaults', () => {
  assert.throws(
    () => parseNativeArgs(['--wheels', 'x']),
    (e: unknown) => e instanceof SetupError && /Unknown option '--wheels'/.test(e.message),
  );
  assert.throws(() => parseNativeArgs(['--wheel', 'a.whl', '--from-python', 'python3']), /give one/);
  const o = parseNativeArgs([], { XDG_CACHE_HOME: '/c' });
  assert.deepEqual(o, { cacheDir: '/c/rnn-notebooks/native', force: false });
});

test('only linux-x64 has a wheel to build from; elsewhere the error says what to do', () => {
  assert.equal(wheelPlatform('linux', 'x64'), 'manylinux_2_27_x86_64');
  assert.throws(
    () => wheelPlatform('darwin', 'arm64'),
    (e: unknown) => e instanceof SetupError && /darwin-arm64 .*--from-python/.test(e.message),
  );
  assert.throws(() => wheelPlatform('linux', 'arm64'), /linux-arm64/);
});

test('where tfjs-node loads and the LSTM kernel is built, running it again changes nothing', {
  skip: skipUnlessLoads,
}, () => {
  const addon = statSync(LSTM_ADDON, { throwIfNoEntry: false });
  const r = native([]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^native: tfjs-node already loads here \(libtensorflow \d+\.\d+\.\d+\); left as it is/m);
  if (addon !== undefined) {
    assert.match(r.stdout, /^native: the LSTM kernel is up to date/m);
    assert.equal(statSync(LSTM_ADDON).mtimeMs, addon.mtimeMs, 'the addon was not rebuilt');
  } else {
    assert.match(r.stdout, /^native: built the LSTM kernel \((avx512|avx2|baseline) on this CPU\)/m);
  }
  stillLoads();
});

test('a Python that does not run, or has no TensorFlow, is named', { skip: skipUnlessLoads }, () => {
  assertOneLineFailure(
    native(['--force', '--python', '/nonexistent/python3']),
    /^native: Python "\/nonexistent\/python3" does not run$/,
  );
  // A fresh venv-less interpreter with an empty module path has no tensorflow.
  const r = native(['--force', '--from-python', 'python3'], {
    PYTHONPATH: '',
    PYTHONNOUSERSITE: '1',
    PYTHONSAFEPATH: '1',
  });
  if (r.status === 0) assert.fail('python3 has TensorFlow here: this case cannot be checked');
  assertOneLineFailure(
    r,
    /^native: (Python "python3" has no tensorflow installed|the tensorflow of python3 has no libtensorflow_cc\.so\.2)/,
  );
  stillLoads();
});

test('a missing C++ compiler is named with how to install one', { skip: skipUnlessLoads }, () => {
  assertOneLineFailure(
    native(['--force'], { CXX: '/nonexistent/g++' }),
    /^native: no C\+\+ compiler found \(CXX=\/nonexistent\/g\+\+ does not run\): install one/,
  );
  stillLoads();
});

test('a corrupt wheel, or one without libtensorflow, fails before anything is replaced', {
  skip: skipUnlessLoads,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rnn-native-test-'));
  try {
    const corrupt = join(dir, 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl');
    writeFileSync(corrupt, 'not a zip file');
    assertOneLineFailure(native(['--force', '--wheel', corrupt]), /is not a wheel \(zip\) file/);
    const empty = join(dir, 'empty.whl');
    const made = spawnSync('python3', [
      '-c',
      'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], "w"); z.writestr("tensorflow/__init__.py", ""); z.close()',
      empty,
    ]);
    assert.equal(made.status, 0);
    assertOneLineFailure(native(['--force', '--wheel', empty]), /^native: empty\.whl has no libtensorflow_cc\.so\.2 /);
    assertOneLineFailure(native(['--force', '--wheel', join(dir, 'missing.whl')]), /does not exist/);
    stillLoads();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unreachable package index fails fast with one line', { skip: skipUnlessLoads }, async () => {
  // A port on loopback that refuses connections: bind, note it, close.
  const port = await new Promise<number>((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => done(typeof a === 'object' && a !== null ? a.port : 9));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'rnn-native-cache-'));
  try {
    const env: NodeJS.ProcessEnv = {
      PIP_CONFIG_FILE: '/dev/null',
      PIP_INDEX_URL: `http://127.0.0.1:${port}/simple`,
      PIP_EXTRA_INDEX_URL: '',
      PIP_FIND_LINKS: '',
      PIP_NO_INDEX: '',
    };
    const r = native(['--force', '--python', 'python3', '--cache-dir', dir], env);
    assertOneLineFailure(
      r,
      /^native: pip could not download tensorflow-cpu==2\.21\.0 \(.*\): check access to a package index/,
    );
    stillLoads();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the Node.js headers for the running version are found beside the node, in npm_config_nodedir or in node-gyp's cache, else the places are named", () => {
  const root = mkdtempSync(path.join(tmpdir(), 'rnn-headers-'));
  try {
    /** A folder with include/node/node_api.h and the node_version.h of `version`. */
    const withHeaders = (dir: string, version: string): string => {
      const [major, minor, patch] = version.split('.');
      mkdirSync(path.join(dir, 'include', 'node'), { recursive: true });
      writeFileSync(path.join(dir, 'include', 'node', 'node_api.h'), '/* N-API */');
      writeFileSync(
        path.join(dir, 'include', 'node', 'node_version.h'),
        `#define NODE_MAJOR_VERSION ${major}\n#define NODE_MINOR_VERSION ${minor}\n#define NODE_PATCH_VERSION ${patch}\n`,
      );
      return dir;
    };
    const prefix = withHeaders(path.join(root, 'node-v24'), '24.22.3'); // bin/node + include/node, like nodejs.org's tarball
    const bare = path.join(root, 'bare'); // a node without headers (a distribution package)
    const cacheHome = path.join(root, 'cache');
    const cached = withHeaders(path.join(cacheHome, 'node-gyp', '24.22.3'), '24.22.3');
    const given = withHeaders(path.join(root, 'given'), '24.22.3');
    const system = withHeaders(path.join(root, 'usr'), '20.20.2'); // Debian's npm: npm_config_nodedir=/usr, the system Node's
    assert.equal(
      findNodeHeaders(path.join(prefix, 'bin', 'node'), '24.22.3', {
        XDG_CACHE_HOME: cacheHome,
        npm_config_nodedir: system,
      }).dir,
      prefix,
    );
    assert.equal(findNodeHeaders(path.join(bare, 'bin', 'node'), '24.22.3', { XDG_CACHE_HOME: cacheHome }).dir, cached);
    assert.equal(
      findNodeHeaders(path.join(bare, 'bin', 'node'), '24.22.3', {
        XDG_CACHE_HOME: cacheHome,
        npm_config_nodedir: given,
      }).dir,
      given,
    );
    // Another version's headers are passed over, wherever they are.
    assert.equal(
      findNodeHeaders(path.join(bare, 'bin', 'node'), '24.22.3', {
        XDG_CACHE_HOME: cacheHome,
        npm_config_nodedir: system,
      }).dir,
      cached,
    );
    assert.equal(
      findNodeHeaders(path.join(prefix, 'bin', 'node'), '22.23.5', { XDG_CACHE_HOME: cacheHome }).dir,
      undefined,
    );
    const none = findNodeHeaders(path.join(bare, 'bin', 'node'), '22.23.5', {
      XDG_CACHE_HOME: cacheHome,
      npm_config_nodedir: system,
    });
    assert.equal(none.dir, undefined);
    assert.deepEqual(none.looked, [
      path.join(bare, 'include', 'node'),
      path.join(system, 'include', 'node'),
      path.join(cacheHome, 'node-gyp', '22.23.5', 'include', 'node'),
    ]);
    // The running node: its own headers, where it has them, are what `npm run native` compiles against.
    const own = path.resolve(path.dirname(process.execPath), '..');
    if (existsSync(path.join(own, 'include', 'node', 'node_api.h'))) assert.equal(findNodeHeaders().dir, own);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
