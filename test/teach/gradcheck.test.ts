import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../src/backend';
import { finiteDifferences, maxAbsDifference, relativeError } from '../../src/teach/gradcheck';

before(async () => {
  await setupBackend({ backend: 'cpu' });
});

test('finiteDifferences recovers a known gradient and leaves the parameters unchanged', () => {
  const x = tf.tensor1d([0.5, -1, 2]);
  const w = tf.tensor2d([[1, 2], [3, 4]]);
  // f = sum(x^3) + sum(w^2): df/dx = 3x^2, df/dw = 2w
  const [gx, gw] = finiteDifferences((p) => tf.add(tf.sum(tf.pow(p[0] as tf.Tensor, 3)), tf.sum(tf.square(p[1] as tf.Tensor))) as tf.Scalar, [x, w], { epsilon: 1e-2 });
  assert.ok(gx && gw);
  const expectedX = [0.75, 3, 12];
  Array.from(gx.dataSync()).forEach((v, k) => assert.ok(Math.abs(v - (expectedX[k] as number)) < 1e-3, `dx[${k}] = ${v}`));
  Array.from(gw.dataSync()).forEach((v, k) => assert.ok(Math.abs(v - 2 * (k + 1)) < 1e-3, `dw[${k}] = ${v}`));
  assert.deepEqual(Array.from(x.dataSync()), [0.5, -1, 2]);
  assert.throws(() => finiteDifferences(() => tf.scalar(0), [x], { epsilon: 0 }), /epsilon must be > 0/);
  tf.dispose([x, w, gx, gw]);
});

test('relativeError and maxAbsDifference: values, zero case, shape mismatch', () => {
  const a = [tf.tensor1d([3, 0]), tf.tensor1d([4])];
  const b = [tf.tensor1d([3, 0]), tf.tensor1d([4.5])];
  assert.ok(Math.abs(relativeError(a, b) - 0.5 / Math.sqrt(9 + 20.25)) < 1e-12);
  assert.equal(maxAbsDifference(a, b), 0.5);
  assert.equal(relativeError([tf.zeros([2])], [tf.zeros([2])]), 0);
  assert.throws(() => relativeError(a, [tf.tensor1d([1, 2, 3]), tf.tensor1d([1])]), /shape \[2\] against \[3\]/);
  assert.throws(() => maxAbsDifference(a, b.slice(0, 1)), /2 tensors against 1/);
});
