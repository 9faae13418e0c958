import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { execFileSync, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describeBackend, isBackendChoice, libtensorflowVersion, setupBackend, tensorflowEnvironment, tensorflowProblem, INTRA_OP_THREADS_ENV_VAR, ONEDNN_ISA_ENV_VAR } from '../src/backend';
import { wasmKernelsPatched } from '../src/wasm-kernels';
import { testBackends, tensorflowRequired, tensorflowUnavailable } from './backends';

test('auto picks tfjs-node where it loads, else wasm, and says why', async () => {
  const problem = tensorflowUnavailable();
  const info = await setupBackend({ backend: 'auto', env: {} });
  assert.equal(tf.getBackend(), info.name);
  if (problem === undefined) {
    assert.equal(info.name, 'tensorflow');
    const version = libtensorflowVersion();
    assert.match(version ?? '', /^\d+\.\d+\.\d+/, 'the binding reports its libtensorflow version');
    assert.equal(info.reason, `the fastest that loads here: tfjs-node, native libtensorflow ${version}`);
  } else {
    assert.equal(info.name, 'wasm');
    assert.equal(info.reason, tensorflowProblem(new Error(problem)));
  }
  assert.match(describeBackend(info), new RegExp(`^backend: ${info.name} \\(.+\\)$`));
});

test('CI has the native backend (built by npm run native)', { skip: !tensorflowRequired() && 'not required here (no CI, no RNN_REQUIRE_TENSORFLOW=1)' }, () => {
  assert.equal(tensorflowUnavailable(), undefined);
});

// The messages tfjs-node 4.22 throws, recorded verbatim (its binding removed; its libtensorflow removed).
test("tfjs-node's load failures become one line naming the fix", () => {
  const notInstalled = new Error("Cannot find module '@tensorflow/tfjs-node'\nRequire stack:\n- /app/dist/backend.js");
  assert.equal(tensorflowProblem(notInstalled), 'tfjs-node not installed: `npm install` with network access installs it, or `npm run native` builds it here');
  const noBinding = new Error("The Node.js native addon module (tfjs_binding.node) can not be found at path: /app/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node. \nPlease run command 'npm rebuild @tensorflow/tfjs-node --build-addon-from-source' to rebuild the native addon module. \nIf you have problem with building the addon module, please check https://github.com/tensorflow/tfjs/blob/master/tfjs-node/WINDOWS_TROUBLESHOOTING.md or file an issue.");
  assert.equal(tensorflowProblem(noBinding), 'tfjs-node is installed but its native binding is not built ((tfjs_binding.node) can not be found at path: /app/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node.): run `npm run native`');
  const noLibrary = new Error('libtensorflow_cc.so.2: cannot open shared object file: No such file or directory');
  assert.equal(tensorflowProblem(noLibrary), "tfjs-node's libtensorflow is missing (libtensorflow_cc.so.2: cannot open shared object file: No such file or directory): run `npm run native`");
  assert.equal(tensorflowProblem(new Error('something else\nsecond line')), 'tfjs-node failed to load (something else)');
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
  await assert.rejects(setupBackend({ env: { RNN_BACKEND: 'gpu' } }), /RNN_BACKEND="gpu" is not a backend; expected one of auto, tensorflow, wasm, cpu/);
});

test('asking for tfjs-node where it does not load names the fix', { skip: tensorflowUnavailable() === undefined && 'tfjs-node loads here' }, async () => {
  await assert.rejects(setupBackend({ backend: 'tensorflow' }), /backend "tensorflow" \(requested\) is not available: tfjs-node .*`npm run native`/);
});

test('every backend gives the same matmul result (the setup really switches)', async () => {
  const a = [[1, 2], [3, 4]];
  const results: number[][] = [];
  const backends = testBackends();
  for (const backend of backends) {
    await setupBackend({ backend });
    assert.equal(tf.getBackend(), backend);
    results.push(Array.from(tf.tidy(() => tf.matMul(tf.tensor2d(a), tf.tensor2d(a)).dataSync())));
  }
  assert.deepEqual(results, backends.map(() => [7, 10, 15, 22]));
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

test("libtensorflow's environment: 1 intra-op thread on at most 2 cores, oneDNN's AVX kernels on x86-64, never over the user's values", () => {
  const x64 = (cores: number): { cores: number; arch: string } => ({ cores, arch: 'x64' });
  assert.deepEqual(tensorflowEnvironment({}, x64(1)), { [INTRA_OP_THREADS_ENV_VAR]: '1', [ONEDNN_ISA_ENV_VAR]: 'AVX' });
  assert.deepEqual(tensorflowEnvironment({}, x64(2)), { [INTRA_OP_THREADS_ENV_VAR]: '1', [ONEDNN_ISA_ENV_VAR]: 'AVX' });
  assert.deepEqual(tensorflowEnvironment({}, x64(3)), { [ONEDNN_ISA_ENV_VAR]: 'AVX' });
  assert.deepEqual(tensorflowEnvironment({}, { cores: 8, arch: 'arm64' }), {}, 'the cap names x86 instruction sets: not set elsewhere');
  assert.deepEqual(tensorflowEnvironment({ [INTRA_OP_THREADS_ENV_VAR]: '2', [ONEDNN_ISA_ENV_VAR]: 'ALL' }, x64(2)), {});
  assert.deepEqual(tensorflowEnvironment({ [INTRA_OP_THREADS_ENV_VAR]: '', [ONEDNN_ISA_ENV_VAR]: '' }, x64(2)), { [INTRA_OP_THREADS_ENV_VAR]: '1', [ONEDNN_ISA_ENV_VAR]: 'AVX' }, 'an empty value counts as unset');
});

test('loading tfjs-node sets its environment before libtensorflow starts, and keeps values the user set', { skip: tensorflowUnavailable() !== undefined && 'tfjs-node does not load here' }, () => {
  const script = "require('./src/backend').setupBackend({ backend: 'tensorflow' }).then(() => console.log(JSON.stringify(require('./src/backend').libtensorflowSettings())))";
  const run = (extra: Record<string, string>): unknown => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
    for (const name of [INTRA_OP_THREADS_ENV_VAR, ONEDNN_ISA_ENV_VAR]) if (!(name in extra)) delete env[name];
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: join(__dirname, '..'), env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return JSON.parse(out.trim().split('\n').pop() ?? '');
  };
  const defaults = tensorflowEnvironment({}, { cores: availableParallelism(), arch: process.arch });
  assert.deepEqual(run({}), { intraOpThreads: defaults[INTRA_OP_THREADS_ENV_VAR] ?? 'default', onednnMaxIsa: defaults[ONEDNN_ISA_ENV_VAR] ?? 'default' });
  assert.deepEqual(run({ [INTRA_OP_THREADS_ENV_VAR]: '3', [ONEDNN_ISA_ENV_VAR]: 'AVX2' }), { intraOpThreads: '3', onednnMaxIsa: 'AVX2' });
});

// oneDNN's AVX2/AVX-512 matmul kernels (libtensorflow 2.21) corrupt the heap when a signal lands while
// they run (oneDNN issue #4845): with them, this loop crashed within seconds here. Ctrl-C and Jupyter's
// interrupt are SIGINTs, so training on tensorflow must survive a stream of them.
test('training on tensorflow survives a stream of SIGINTs (the interrupt signal) with its default settings', { skip: tensorflowUnavailable() !== undefined && 'tfjs-node does not load here', timeout: 120_000 }, async () => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [INTRA_OP_THREADS_ENV_VAR, ONEDNN_ISA_ENV_VAR]) delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'train-under-signals.ts')], { cwd: join(__dirname, '..'), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  // The fixture prints "training" once its first step is done; then 400 SIGINTs, one every 10 ms.
  await new Promise<void>((resolve, reject) => {
    const waitForStart = setInterval(() => {
      if (child.exitCode !== null || child.signalCode !== null) {
        clearInterval(waitForStart);
        resolve();
        return;
      }
      if (!stdout.includes('training')) return;
      clearInterval(waitForStart);
      let sent = 0;
      const storm = setInterval(() => {
        if (sent === 400 || child.exitCode !== null || child.signalCode !== null) {
          clearInterval(storm);
          child.kill('SIGTERM');
          resolve();
          return;
        }
        child.kill('SIGINT');
        sent++;
      }, 10);
    }, 50);
    child.on('error', reject);
  });
  const [code, signal] = await closed;
  assert.equal(signal, null, `the training process died of ${signal}: ${stderr.split('\n').filter((l) => /corrupt|free|fault|abort/i.test(l)).join(' | ')}`);
  assert.equal(code, 0, stderr);
  const handled = Number(/handled (\d+) SIGINTs/.exec(stdout)?.[1] ?? NaN);
  assert.ok(handled >= 300, `the fixture handled ${handled} of 400 SIGINTs while training`);
});
