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
  const w = tf.tensor2d([
    [1, 2],
    [3, 4],
  ]);
  // f = sum(x^3) + sum(w^2): df/dx = 3x^2, df/dw = 2w
  const [gx, gw] = finiteDifferences(
    (p) => tf.add(tf.sum(tf.pow(p[0] as tf.Tensor, 3)), tf.sum(tf.square(p[1] as tf.Tensor))) as tf.Scalar,
    [x, w],
    { epsilon: 1e-2 },
  );
  assert.ok(gx && gw);
  const expectedX = [0.75, 3, 12];
  Array.from(gx.dataSync()).forEach((v, k) =>
    assert.ok(Math.abs(v - (expectedX[k] as number)) < 1e-3, `dx[${k}] = ${v}`),
  );
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

test('finiteDifferences divides by the nudge float32 really made, not the nominal 2ε', () => {
  // Near 1000, float32 values are 6.1e-5 apart, so θ ± 1e-3 is rounded by up to 3% of ε. The loss
  // c · (θ - θ0) is computed without rounding trouble (θ - θ0 is exact in float32), so its
  // derivative c = 3 can be recovered to float32 precision only by dividing by the real nudge.
  const theta = tf.tensor1d([1000.1, -1234.5678, 0.25]);
  const theta0 = theta.clone();
  const c = 3;
  const [g] = finiteDifferences((p) => tf.sum(tf.mul(c, tf.sub(p[0] as tf.Tensor, theta0))) as tf.Scalar, [theta], {
    epsilon: 1e-3,
  });
  assert.ok(g);
  Array.from(g.dataSync()).forEach((v, k) => assert.ok(Math.abs(v - c) < 1e-5 * c, `d/dθ[${k}] = ${v}, expected ${c}`));
  tf.dispose([theta, theta0, g]);
});
