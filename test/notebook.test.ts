import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../src/backend';
import { keep } from '../src/notebook';

before(async () => {
  await setupBackend({ backend: 'cpu' });
});

test('keep frees the previous value under the same key, so re-running a cell does not grow memory', () => {
  const start = tf.memory().numTensors;
  for (let run = 0; run < 5; run++) {
    keep('batch', { xs: tf.ones([2, 3]), ys: tf.zeros([2]) });
    keep('weights', tf.ones([4]));
    assert.equal(tf.memory().numTensors, start + 3, `after run ${run}`);
  }
  let disposed = 0;
  keep('model', { dispose: () => disposed++ });
  keep('model', { dispose: () => disposed++ });
  assert.equal(disposed, 1);
  const same = tf.ones([1]);
  keep('same', same);
  keep('same', same);
  assert.equal(same.isDisposed, false, 'keeping the same value again does not free it');
  // Keeping something else under each key frees what it held.
  for (const key of ['batch', 'weights', 'model', 'same']) keep(key, null);
  assert.equal(tf.memory().numTensors, start);
  assert.equal(disposed, 2);
  assert.equal(same.isDisposed, true);
});
