import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, isBackendChoice, setupBackend } from '../src/backend';
import { wasmKernelsPatched } from '../src/wasm-kernels';

function tfjsNodeInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

test('auto picks tfjs-node where it is installed, else wasm, and says why', async () => {
  const info = await setupBackend({ backend: 'auto', env: {} });
  assert.equal(tf.getBackend(), info.name);
  if (tfjsNodeInstalled()) {
    assert.equal(info.name, 'tensorflow');
  } else {
    assert.equal(info.name, 'wasm');
    assert.match(info.reason, /tfjs-node not installed/);
  }
  assert.match(describeBackend(info), new RegExp(`^backend: ${info.name} \\(.+\\)$`));
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

test('asking for tfjs-node where it is missing names the fix', { skip: tfjsNodeInstalled() && 'tfjs-node is installed here' }, async () => {
  await assert.rejects(setupBackend({ backend: 'tensorflow' }), /backend "tensorflow" \(requested\) is not available: tfjs-node not installed: run `npm install` with network access/);
});

test('every backend gives the same matmul result (the setup really switches)', async () => {
  const a = [[1, 2], [3, 4]];
  const results: number[][] = [];
  for (const backend of ['cpu', 'wasm'] as const) {
    await setupBackend({ backend });
    assert.equal(tf.getBackend(), backend);
    results.push(Array.from(tf.tidy(() => tf.matMul(tf.tensor2d(a), tf.tensor2d(a)).dataSync())));
  }
  assert.deepEqual(results, [[7, 10, 15, 22], [7, 10, 15, 22]]);
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
