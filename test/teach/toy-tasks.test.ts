import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../src/backend';
import { makeToySequences, toyLabel } from '../../src/teach/toy-tasks';

before(async () => {
  await setupBackend({ backend: 'cpu' });
});

test('toy sequences: shapes, two-decimal values in [-1, 1], labels match the rule and the one-hot tensor', () => {
  for (const task of ['sumSign', 'firstSign'] as const) {
    const s = makeToySequences({ task, count: 50, timeSteps: 6, seed: 2 });
    assert.deepEqual(s.xs.shape, [50, 6, 1]);
    assert.deepEqual(s.ys.shape, [50, 2]);
    for (const v of s.values.flat()) {
      assert.ok(v >= -1 && v <= 1);
      assert.ok(Math.abs(v * 100 - Math.round(v * 100)) < 1e-9);
    }
    s.values.forEach((v, n) => assert.equal(s.labels[n], toyLabel(task, v)));
    const fromOneHot = Array.from(tf.argMax(s.ys, 1).dataSync());
    assert.deepEqual(fromOneHot, s.labels);
    assert.deepEqual(Array.from(s.xs.dataSync()), s.values.flat().map(Math.fround));
    // Both answers occur: a task of all "no" would teach nothing.
    assert.ok(s.labels.includes(0) && s.labels.includes(1));
    tf.dispose([s.xs, s.ys]);
  }
});

test('toyLabel: sums exactly in hundredths, first sign', () => {
  assert.equal(toyLabel('sumSign', [0.1, 0.2, -0.3]), 0, '0.1 + 0.2 - 0.3 is zero, not positive');
  assert.equal(toyLabel('sumSign', [0.5, -0.49]), 1);
  assert.equal(toyLabel('firstSign', [0.01, -1, -1]), 1);
  assert.equal(toyLabel('firstSign', [-0.01, 1, 1]), 0);
});

test('makeToySequences is seeded and checks its options', () => {
  const a = makeToySequences({ seed: 5 });
  const b = makeToySequences({ seed: 5 });
  const c = makeToySequences({ seed: 6 });
  assert.deepEqual(a.values, b.values);
  assert.notDeepEqual(a.values, c.values);
  tf.dispose([a.xs, a.ys, b.xs, b.ys, c.xs, c.ys]);
  assert.throws(() => makeToySequences({ count: 0 }), /count must be a positive integer/);
  assert.throws(() => makeToySequences({ timeSteps: 1.5 }), /timeSteps must be a positive integer/);
});
