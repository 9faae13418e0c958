import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrationBins } from '../../src/teach/calibration';

test('calibrationBins on a hand-counted example: bins, means, accuracies and ECE', () => {
  // Bin [0.5, 0.75): 0.6 right, 0.7 wrong; bin [0.75, 1]: 0.8, 0.9, 1.0 right, 0.95 wrong.
  const confidence = [0.6, 0.7, 0.8, 0.9, 1.0, 0.95];
  const correct = [true, false, true, true, true, false];
  const { bins, ece } = calibrationBins(confidence, correct, 4);
  assert.deepEqual(
    bins.map((b) => b.count),
    [0, 0, 2, 4],
  );
  assert.deepEqual(
    bins.map((b) => [b.lower, b.upper]),
    [
      [0, 0.25],
      [0.25, 0.5],
      [0.5, 0.75],
      [0.75, 1],
    ],
  );
  assert.ok(Number.isNaN(bins[0]!.accuracy) && Number.isNaN(bins[0]!.meanConfidence));
  assert.ok(Math.abs(bins[2]!.meanConfidence - 0.65) < 1e-12);
  assert.equal(bins[2]!.accuracy, 0.5);
  assert.ok(Math.abs(bins[3]!.meanConfidence - 3.65 / 4) < 1e-12);
  assert.equal(bins[3]!.accuracy, 0.75);
  const expected = (2 / 6) * Math.abs(0.5 - 0.65) + (4 / 6) * Math.abs(0.75 - 3.65 / 4);
  assert.ok(Math.abs(ece - expected) < 1e-12, `ece ${ece} vs ${expected}`);
});

test('answers right exactly as often as their confidence says have an ECE of 0', () => {
  // 10 answers at 0.3 (3 right), 10 at 0.8 (8 right).
  const confidence = [...Array(10).fill(0.3), ...Array(10).fill(0.8)] as number[];
  const correct = confidence.map((c, n) => (c === 0.3 ? n < 3 : n < 18));
  assert.ok(calibrationBins(confidence, correct).ece < 1e-12);
});

test('calibrationBins checks its input', () => {
  assert.throws(() => calibrationBins([0.5], [true, false]), /1 confidences but 2 correct flags/);
  assert.throws(() => calibrationBins([], []), /no answers/);
  assert.throws(() => calibrationBins([1.5], [true]), /confidence\[0\] = 1\.5 is not in \[0, 1\]/);
  assert.throws(() => calibrationBins([0.5], [true], 0), /bins must be a positive integer/);
});
