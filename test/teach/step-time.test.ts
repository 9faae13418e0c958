/**
 * trainingStepMs: one warm-up step and `steps` timed ones, each on its own batch of the split, a
 * fresh model every call, nothing left behind. (What the number is worth is benchmarking's
 * business, `npm run bench`; here only that it is a time and the work it did.)
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../src/backend';
import { loadMnist } from '../../src/data';
import { trainingStepMs } from '../../src/teach/step-time';

before(async () => {
  await setupBackend({ backend: 'cpu' });
});

test('trainingStepMs trains steps + 1 batches of the split on a fresh model and frees it', async () => {
  const data = await loadMnist({ source: 'bundled', seed: 5 });
  const reference = await loadMnist({ source: 'bundled', seed: 5 });
  const before = tf.memory().numTensors;
  const ms = trainingStepMs({ units: 4, seed: 0 }, data.train, { batchSize: 16, learningRate: 0.01, steps: 3 });
  assert.ok(Number.isFinite(ms) && ms > 0, `${ms} ms`);
  assert.equal(tf.memory().numTensors, before, 'the model, the optimiser and the batches are freed');
  // The split moved on by exactly four batches of 16: the next one is the reference's fifth.
  for (let k = 0; k < 4; k++) reference.train.nextBatchIndices(16);
  assert.deepEqual(Array.from(data.train.nextBatchIndices(16)), Array.from(reference.train.nextBatchIndices(16)));
  assert.throws(
    () => trainingStepMs({ units: 4 }, data.train, { batchSize: 16, learningRate: 0.01, steps: 0 }),
    /steps must be a whole number >= 1, got 0/,
  );
});
