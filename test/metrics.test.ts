import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { accuracy, confusionMatrix, perClassAccuracy } from '../src/metrics';

test('accuracy is the share of rows whose largest logit is the labelled class', () => {
  const logits = [
    [0.1, 2, -1],
    [3, 0, 0],
    [0, 0, 5],
    [1, 0.5, 0.2],
  ];
  const labels = [1, 0, 1, 2];
  // Counted here without tensors: rows 0 and 1 are right, 2 and 3 wrong.
  const right = logits.filter((row, n) => row.indexOf(Math.max(...row)) === labels[n]).length;
  const value = tf.tidy(
    () => accuracy(tf.tensor2d(logits), tf.oneHot(labels, 3).toFloat() as tf.Tensor2D).dataSync()[0],
  );
  assert.equal(value, right / logits.length);
  assert.equal(right, 2);
});

test('confusionMatrix counts (true, predicted) pairs into rows of true classes', () => {
  const truth = [0, 0, 1, 1, 1, 2, 2, 2, 2];
  const pred = [0, 1, 1, 1, 2, 2, 2, 0, 2];
  // Worked out by hand: class 0 -> {0: 1, 1: 1}; class 1 -> {1: 2, 2: 1}; class 2 -> {0: 1, 2: 3}.
  assert.deepEqual(confusionMatrix(truth, pred, 3), [
    [1, 1, 0],
    [0, 2, 1],
    [1, 0, 3],
  ]);
  assert.deepEqual(confusionMatrix(Int32Array.from([1]), Uint8Array.from([0]), 2), [
    [0, 0],
    [1, 0],
  ]);
});
test('confusionMatrix rejects mismatched lengths and labels out of range', () => {
  assert.throws(() => confusionMatrix([0, 1], [0], 2), /2 trueLabels but 1 predLabels/);
  assert.throws(() => confusionMatrix([0, 3], [0, 1], 3), /trueLabels\[1\].*0\.\.2.*got 3/);
  assert.throws(() => confusionMatrix([0], [0.5], 3), /predLabels\[0\]/);
});

test('perClassAccuracy counts per true class', () => {
  assert.deepEqual(perClassAccuracy([0, 1, 2, 2, 2], [0, 1, 2, 0, 1], 3), [
    { label: 0, correct: 1, total: 1, accuracy: 1 },
    { label: 1, correct: 1, total: 1, accuracy: 1 },
    { label: 2, correct: 1, total: 3, accuracy: 1 / 3 },
  ]);
  assert.ok(Number.isNaN(perClassAccuracy([0], [0], 2)[1]?.accuracy));
  assert.throws(() => perClassAccuracy([0, 1], [0], 2), /2 trueLabels but 1 predLabels/);
  assert.throws(() => perClassAccuracy([5], [0], 2), /trueLabels\[0\] = 5/);
});

test("perClassAccuracy is the confusion matrix's diagonal over its row sums", () => {
  const truth = [0, 0, 1, 1, 1, 2, 2, 2, 2];
  const pred = [0, 1, 1, 1, 2, 2, 2, 0, 2];
  const m = confusionMatrix(truth, pred, 3);
  const perClass = perClassAccuracy(truth, pred, 3);
  m.forEach((row, t) => assert.equal(perClass[t]?.accuracy, (row[t] as number) / row.reduce((a, b) => a + b, 0)));
});
