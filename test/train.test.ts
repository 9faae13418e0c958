import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { DataSet, type Datasets } from '../src/data';
import { buildClassifier, SeedLstm, type Classifier } from '../src/models';
import { formatIterLine, formatTestingLine } from '../src/format';
import { countSteps, evaluate, trainSeed, trainStep } from '../src/train';
import { describeOnBackends } from './backends';

/** A learnable toy set: the label is the row (0..9) that is bright, so a small LSTM can learn it. */
function toySet(n: number, seed: number): DataSet {
  const images = new Float32Array(n * 784);
  const labels = new Uint8Array(n);
  let s = seed;
  for (let k = 0; k < n; k++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const label = s % 10;
    labels[k] = label;
    for (let c = 0; c < 28; c++) images[k * 784 + (label * 2 + 3) * 28 + c] = 1;
  }
  return new DataSet(images, labels, { seed });
}

function toyData(): Datasets {
  return { train: toySet(96, 1), validation: toySet(20, 2), test: toySet(40, 3), source: 'bundled', description: 'toy rows' };
}

test('countSteps matches the seed loop `while step * batch_size < training_iters`', () => {
  for (const [iters, batch] of [[100_000, 128], [1280, 128], [1281, 128], [10, 3], [1, 1], [128, 128]] as const) {
    let step = 1;
    let count = 0;
    while (step * batch < iters) {
      count++;
      step++;
    }
    assert.equal(countSteps(iters, batch), count, `${iters}/${batch}`);
  }
  assert.equal(countSteps(100_000, 128), 781);
});

describeOnBackends('training', () => {
test('trainSeed prints the seed log, returns consistent accuracies and learns', async () => {
  const data = toyData();
  const model = buildClassifier({ units: 16, seed: 1 });
  const lines: string[] = [];
  const progress: number[] = [];
  const result = await trainSeed(model, data, {
    trainingIters: 16 * 61,
    batchSize: 16,
    displayStep: 20,
    learningRate: 0.02,
    testExamples: 16,
    validateEvery: 30,
    onLog: (l) => lines.push(l),
    onProgress: (p) => progress.push(p.examplesSeen),
  });
  assert.equal(result.steps, 60);
  assert.equal(result.examplesSeen, 960);
  [320, 640, 960].forEach((iter, k) => {
    assert.match(lines[k]!, new RegExp(`^Iter ${iter}, Minibatch Loss= \\d+\\.\\d{6}, Training Accuracy= \\d\\.\\d{5}$`));
  });
  assert.equal(lines[3], 'Optimization Finished!');
  assert.match(lines[4]!, /^Testing Accuracy: \d\.\d{6}$/);
  assert.equal(lines.length, 5);
  assert.deepEqual(result.history.map((r) => r.step), [20, 40, 60]);
  assert.deepEqual(result.validation.map((r) => r.step), [30, 60]);
  assert.equal(progress.length, 60);
  assert.equal(progress.at(-1), 960);
  // The numbers returned are the numbers printed, and agree with an independent evaluation.
  assert.equal(lines[4], formatTestingLine(result.testAccuracy128));
  assert.equal(lines[2], formatIterLine(960, result.history[2]!.loss, result.history[2]!.accuracy));
  assert.equal(result.testAccuracy128, evaluate(model, data.test, 7, 0, 16).accuracy);
  assert.equal(result.testAccuracy, evaluate(model, data.test, 13).accuracy);
  assert.ok(result.testAccuracy > 0.5, `the toy task is learnable, got ${result.testAccuracy}`);
  model.dispose();
});

for (const kind of ['fused', 'layers', 'seed'] as const) {
  test(`no tensor growth across training steps (${kind} model)`, () => {
    const data = toyData();
    const model: Classifier = buildClassifier({ kind, units: 8, seed: 2 });
    const optimizer = tf.train.adam(0.01);
    const counts: number[] = [];
    for (let step = 0; step < 5; step++) {
      const { xs, ys } = data.train.nextBatch(8);
      trainStep(model, optimizer, xs, ys);
      tf.dispose([xs, ys]);
      counts.push(tf.memory().numTensors);
    }
    // Adam creates its moment variables on the first step; after that nothing may accumulate.
    assert.deepEqual(counts.slice(1), Array(4).fill(counts[1]), `numTensors per step: ${counts.join(', ')}`);
    optimizer.dispose();
    model.dispose();
  });
}

test('trainSeed leaves no tensors behind', async () => {
  const data = toyData();
  const model = new SeedLstm({ units: 4, seed: 3 });
  const before = tf.memory().numTensors;
  await trainSeed(model, data, { trainingIters: 8 * 6, batchSize: 8, displayStep: 2, validateEvery: 2 });
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});
});

test('trainSeed rejects bad options with a message naming them', async () => {
  const data = toyData();
  const model = buildClassifier({ units: 4 });
  await assert.rejects(trainSeed(model, data, { batchSize: 0 }), /batchSize must be a positive number, got 0/);
  await assert.rejects(trainSeed(model, data, { displayStep: 2.5 }), /displayStep must be a whole number/);
  await assert.rejects(trainSeed(model, data, { batchSize: 500 }), /batchSize 500 is larger than the training split \(96 examples\)/);
  model.dispose();
});
