import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { libtensorflowVersion } from '../src/kernels/native/ops';
import {
  describeBackend,
  isBackendChoice,
  lstmNote,
  onednnState,
  profilerActive,
  restoreRemovedUtil,
  setupBackend,
  tensorflowEnvironment,
  tensorflowProblem,
  INTRA_OP_THREADS_ENV_VAR,
  ONEDNN_ISA_ENV_VAR,
  type TensorflowMachine,
} from '../src/backend';
import { SIGNAL_GUARD_ENV_VAR } from '../src/signal-guard';
import { wasmKernelsPatched } from '../src/kernels/wasm';
import { testBackends, tensorflowRequired, tensorflowUnavailable } from './backends';

test('auto picks tfjs-node where it loads, else wasm, and says why', async () => {
  const problem = tensorflowUnavailable();
  const info = await setupBackend({ backend: 'auto', env: {} });
  assert.equal(tf.getBackend(), info.name);
  if (problem === undefined) {
    assert.equal(info.name, 'tensorflow');
    const version = libtensorflowVersion();
    assert.match(version ?? '', /^\d+\.\d+\.\d+/, 'the binding reports its libtensorflow version');
    assert.equal(
      info.reason,
      `the fastest that loads here: tfjs-node, native libtensorflow ${version}; ${onednnState()}; ${lstmNote()}`,
    );
    assert.match(onednnState() ?? '', /^(oneDNN at full speed|oneDNN capped at AVX|ONEDNN_MAX_CPU_ISA=\S+ as set), /);
  } else {
    assert.equal(info.name, 'wasm');
    assert.equal(info.reason, tensorflowProblem(new Error(problem)));
  }
  assert.match(describeBackend(info), new RegExp(`^backend: ${info.name} \\(.+\\)$`));
});

test('CI has the native backend (built by npm run native)', {
  skip: !tensorflowRequired() && 'not required here (no CI, no RNN_REQUIRE_TENSORFLOW=1)',
}, () => {
  assert.equal(tensorflowUnavailable(), undefined);
});

// The messages tfjs-node 4.22 throws, recorded verbatim (its binding removed; its libtensorflow removed).
test("tfjs-node's load failures become one line naming the fix", () => {
  const notInstalled = new Error("Cannot find module '@tensorflow/tfjs-node'\nRequire stack:\n- /app/dist/backend.js");
  assert.equal(
    tensorflowProblem(notInstalled),
    'tfjs-node not installed: `npm install` with network access installs it, or `npm run native` builds it here',
  );
  const noBinding = new Error(
    "The Node.js native addon module (tfjs_binding.node) can not be found at path: /app/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node. \nPlease run command 'npm rebuild @tensorflow/tfjs-node --build-addon-from-source' to rebuild the native addon module. \nIf you have problem with building the addon module, please check https://github.com/tensorflow/tfjs/blob/master/tfjs-node/WINDOWS_TROUBLESHOOTING.md or file an issue.",
  );
  assert.equal(
    tensorflowProblem(noBinding),
    'tfjs-node is installed but its native binding is not built ((tfjs_binding.node) can not be found at path: /app/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node.): run `npm run native`',
  );
  const noLibrary = new Error('libtensorflow_cc.so.2: cannot open shared object file: No such file or directory');
  assert.equal(
    tensorflowProblem(noLibrary),
    "tfjs-node's libtensorflow is missing (libtensorflow_cc.so.2: cannot open shared object file: No such file or directory): run `npm run native`",
  );
  assert.equal(
    tensorflowProblem(new Error('something else\nsecond line')),
    'tfjs-node failed to load (something else)',
  );
});

test('RNN_BACKEND overrides auto; an explicit option overrides RNN_BACKEND', async () => {
  const fromEnv = await setupBackend({ env: { RNN_BACKEND: 'cpu' } });
  assert.deepEqual(fromEnv, { name: 'cpu', reason: 'set by RNN_BACKEND' });
  assert.equal(tf.getBackend(), 'cpu');
  const explicit = await setupBackend({ backend: 'wasm', env: { RNN_BACKEND: 'cpu' } });
  assert.equal(explicit.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
});

test('a bad RNN_BACKEND value is a clear error', async () => {
  await assert.rejects(
    setupBackend({ env: { RNN_BACKEND: 'gpu' } }),
    /RNN_BACKEND="gpu" is not a backend; expected one of auto, tensorflow, wasm, cpu/,
  );
});

test('asking for tfjs-node where it does not load names the fix', {
  skip: tensorflowUnavailable() === undefined && 'tfjs-node loads here',
}, async () => {
  await assert.rejects(
    setupBackend({ backend: 'tensorflow' }),
    /backend "tensorflow" \(requested\) is not available: tfjs-node .*`npm run native`/,
  );
});

test('every backend gives the same matmul result (the setup really switches)', async () => {
  const a = [
    [1, 2],
    [3, 4],
  ];
  const results: number[][] = [];
  const backends = testBackends();
  for (const backend of backends) {
    await setupBackend({ backend });
    assert.equal(tf.getBackend(), backend);
    results.push(Array.from(tf.tidy(() => tf.matMul(tf.tensor2d(a), tf.tensor2d(a)).dataSync())));
  }
  assert.deepEqual(
    results,
    backends.map(() => [7, 10, 15, 22]),
  );
  assert.equal(isBackendChoice('wasm'), true);
  assert.equal(isBackendChoice('webgl'), false);
});

test('the wasm kernel fixes are applied by default and can be turned off', async () => {
  await setupBackend({ backend: 'wasm' });
  assert.equal(wasmKernelsPatched(), true);
  await setupBackend({ backend: 'wasm', wasmKernelFixes: false });
  assert.equal(wasmKernelsPatched(), false);
  await setupBackend({ backend: 'wasm' });
  assert.equal(wasmKernelsPatched(), true);
});

test("libtensorflow's environment: 1 intra-op thread on at most 2 cores, oneDNN capped at AVX on x86-64 unless signals are guarded and no profiler runs, never over the user's values", () => {
  const x64 = (cores: number, signalsGuarded = false, profiling = false): TensorflowMachine => ({
    cores,
    arch: 'x64',
    signalsGuarded,
    profiling,
  });
  assert.deepEqual(tensorflowEnvironment({}, x64(1)), { [INTRA_OP_THREADS_ENV_VAR]: '1', [ONEDNN_ISA_ENV_VAR]: 'AVX' });
  assert.deepEqual(tensorflowEnvironment({}, x64(2)), { [INTRA_OP_THREADS_ENV_VAR]: '1', [ONEDNN_ISA_ENV_VAR]: 'AVX' });
  assert.deepEqual(tensorflowEnvironment({}, x64(3)), { [ONEDNN_ISA_ENV_VAR]: 'AVX' });
  assert.deepEqual(
    tensorflowEnvironment({}, x64(2, true)),
    { [INTRA_OP_THREADS_ENV_VAR]: '1' },
    'guarded: oneDNN at full speed',
  );
  assert.deepEqual(
    tensorflowEnvironment({}, x64(2, true, true)),
    { [INTRA_OP_THREADS_ENV_VAR]: '1', [ONEDNN_ISA_ENV_VAR]: 'AVX' },
    'a profiler samples with SIGPROF, which the guard leaves open',
  );
  assert.deepEqual(
    tensorflowEnvironment({}, { cores: 8, arch: 'arm64', signalsGuarded: false, profiling: false }),
    {},
    'the cap names x86 instruction sets: not set elsewhere',
  );
  assert.deepEqual(tensorflowEnvironment({ [INTRA_OP_THREADS_ENV_VAR]: '2', [ONEDNN_ISA_ENV_VAR]: 'ALL' }, x64(2)), {});
  assert.deepEqual(
    tensorflowEnvironment({ [INTRA_OP_THREADS_ENV_VAR]: '', [ONEDNN_ISA_ENV_VAR]: '' }, x64(2)),
    { [INTRA_OP_THREADS_ENV_VAR]: '1', [ONEDNN_ISA_ENV_VAR]: 'AVX' },
    'an empty value counts as unset',
  );
});

test('a CPU profiler is seen on the command line and in NODE_OPTIONS', () => {
  assert.equal(profilerActive([], ''), false);
  assert.equal(profilerActive(['--cpu-prof'], ''), true);
  assert.equal(profilerActive(['--prof'], ''), true);
  assert.equal(profilerActive([], '--max-old-space-size=4096 --cpu-prof'), true);
  assert.equal(profilerActive(['--cpu-prof-dir=x'], ''), false, 'a flag that only names the folder starts nothing');
});

test('loading tfjs-node sets its environment before libtensorflow starts, and keeps values the user set', {
  skip: tensorflowUnavailable() !== undefined && 'tfjs-node does not load here',
}, () => {
  const script =
    "require('./src/backend').setupBackend({ backend: 'tensorflow' }).then(() => console.log(JSON.stringify({ ...require('./src/backend').libtensorflowSettings(), guarded: require('./src/signal-guard').signalGuardState().active })))";
  const run = (extra: Record<string, string>): { intraOpThreads: string; onednnMaxIsa: string; guarded: boolean } => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
    for (const name of [INTRA_OP_THREADS_ENV_VAR, ONEDNN_ISA_ENV_VAR, SIGNAL_GUARD_ENV_VAR])
      if (!(name in extra)) delete env[name];
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: join(__dirname, '..'),
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return JSON.parse(out.trim().split('\n').pop() ?? '');
  };
  const plain = run({});
  const defaults = tensorflowEnvironment(
    {},
    { cores: availableParallelism(), arch: process.arch, signalsGuarded: plain.guarded, profiling: false },
  );
  assert.deepEqual(plain, {
    intraOpThreads: defaults[INTRA_OP_THREADS_ENV_VAR] ?? 'default',
    onednnMaxIsa: defaults[ONEDNN_ISA_ENV_VAR] ?? 'default',
    guarded: plain.guarded,
  });
  assert.deepEqual(run({ [INTRA_OP_THREADS_ENV_VAR]: '3', [ONEDNN_ISA_ENV_VAR]: 'AVX2' }), {
    intraOpThreads: '3',
    onednnMaxIsa: 'AVX2',
    guarded: plain.guarded,
  });
  assert.equal(
    run({ [SIGNAL_GUARD_ENV_VAR]: '0' }).onednnMaxIsa,
    process.arch === 'x64' ? 'AVX' : 'default',
    'without the guard, the cap',
  );
});

test("tfjs-node's old util checks: isNullOrUndefined put back where Node removed it, isArray without Node 22's deprecation warning", () => {
  // On a util object like Node 24's (no isNullOrUndefined, a warning isArray) both are fixed.
  const warningIsArray = (v: unknown): boolean => Array.isArray(v);
  const node24: Record<string, unknown> = { isArray: warningIsArray, promisify: () => undefined };
  assert.deepEqual(restoreRemovedUtil(node24), ['isNullOrUndefined', 'isArray']);
  const check = node24['isNullOrUndefined'] as (v: unknown) => boolean;
  assert.deepEqual([null, undefined, 0, '', false, Number.NaN, [], {}].map(check), [
    true,
    true,
    false,
    false,
    false,
    false,
    false,
    false,
  ]);
  assert.equal(node24['isArray'], Array.isArray);
  // Where both are already what tfjs-node needs, nothing changes.
  const node20: Record<string, unknown> = { isNullOrUndefined: (v: unknown) => v == null, isArray: Array.isArray };
  const before = node20['isNullOrUndefined'];
  assert.deepEqual(restoreRemovedUtil(node20), []);
  assert.equal(node20['isNullOrUndefined'], before);
});

test('ops run on tensorflow with nothing on stderr, on whichever Node.js runs the tests', {
  skip: tensorflowUnavailable() !== undefined && 'tfjs-node does not load here',
}, () => {
  // Concat and Reshape take tfjs-node's isNullOrUndefined and isArray paths.
  const script =
    "const tf = require('@tensorflow/tfjs'); require('./src/backend').setupBackend({ backend: 'tensorflow' }).then(() => { const t = tf.reshape(tf.concat([tf.ones([2, 3]), tf.zeros([1, 3])]), [9]); console.log(JSON.stringify(Array.from(t.dataSync()))); })";
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: join(__dirname, '..'),
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout.trim().split('\n').pop(),
    JSON.stringify([1, 1, 1, 1, 1, 1, 0, 0, 0]),
    `Node ${process.versions.node}: ${r.stderr}`,
  );
  assert.doesNotMatch(r.stderr, /DeprecationWarning|is not a function/, `Node ${process.versions.node}`);
});
