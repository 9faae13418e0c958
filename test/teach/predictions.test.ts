import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../src/backend';
import { DataSet } from '../../src/data';
import type { Classifier } from '../../src/models';
import {
  argMax,
  leastSureOrder,
  mistakesFirstOrder,
  predictAll,
  topClasses,
  type Predictions,
} from '../../src/teach/predictions';

before(async () => {
  await setupBackend({ backend: 'cpu' });
});

/** A "model" whose logits are the first 10 pixels of the first row, so its answers are known. */
const firstPixels: Classifier = {
  name: 'first pixels',
  predict: (xs: tf.Tensor3D): tf.Tensor2D =>
    tf.tidy(() => tf.reshape(tf.slice(xs, [0, 0, 0], [-1, 1, 10]), [-1, 10]) as tf.Tensor2D),
  variables: [],
  dispose: (): void => undefined,
};

test('predictAll runs every example in batches, in stored order', () => {
  const n = 7;
  const images = new Float32Array(n * 784);
  const labels = Uint8Array.from([3, 1, 4, 1, 5, 9, 2]);
  // Example k puts logit 5 on class (k * 3) % 10, so predictions are 0, 3, 6, 9, 2, 5, 8.
  for (let k = 0; k < n; k++) images[k * 784 + ((k * 3) % 10)] = 5;
  const data = new DataSet(images, labels);
  const before = tf.memory().numTensors;
  const p = predictAll(firstPixels, data, 3);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(p.predicted, [0, 3, 6, 9, 2, 5, 8]);
  assert.deepEqual(p.trueLabels, [3, 1, 4, 1, 5, 9, 2]);
  const expected = Math.exp(5) / (Math.exp(5) + 9);
  p.confidence.forEach((c) => assert.ok(Math.abs(c - expected) < 1e-6));
  p.probabilities.forEach((row) => assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5));
  assert.throws(() => predictAll(firstPixels, data, 0), /batchSize must be a positive integer/);
});

const sample: Predictions = {
  probabilities: [
    [0.9, 0.1, 0],
    [0.2, 0.7, 0.1], // wrong (true 2), confident
    [0.45, 0.1, 0.45], // wrong (true 2 predicted 0 on a tie), unsure
    [0.1, 0.6, 0.3],
    [0, 0.05, 0.95],
  ],
  predicted: [0, 1, 0, 1, 2],
  confidence: [0.9, 0.7, 0.45, 0.6, 0.95],
  trueLabels: [0, 2, 2, 1, 2],
};

test('mistakesFirstOrder: confident mistakes first, then right answers from least sure', () => {
  assert.deepEqual(mistakesFirstOrder(sample), [1, 2, 3, 0, 4]);
});

test('leastSureOrder sorts by the margin between the top two classes', () => {
  // margins: 0.8, 0.5, 0, 0.3, 0.9
  assert.deepEqual(leastSureOrder(sample), [2, 3, 1, 0, 4]);
});

test('topClasses and argMax', () => {
  assert.deepEqual(topClasses([0.1, 0.6, 0.3]), [
    { label: 1, probability: 0.6 },
    { label: 2, probability: 0.3 },
  ]);
  assert.deepEqual(topClasses([0.5, 0.5], 1), [{ label: 0, probability: 0.5 }]);
  assert.equal(argMax([1, 3, 3]), 1);
});
