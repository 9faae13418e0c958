import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../src/backend';
import { DataSet, type Datasets } from '../src/data';
import { buildClassifier, SeedLstm, type Classifier } from '../src/models';
import { formatIterLine, formatTestingLine } from '../src/format';
import { clipByGlobalNorm, countSteps, evaluate, trainSeed, trainStep } from '../src/train';

before(async () => {
  await setupBackend({ backend: 'cpu' });
});

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

for (const kind of ['layers', 'seed'] as const) {
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

test('trainSeed rejects bad options with a message naming them', async () => {
  const data = toyData();
  const model = buildClassifier({ units: 4 });
  await assert.rejects(trainSeed(model, data, { batchSize: 0 }), /batchSize must be a positive number, got 0/);
  await assert.rejects(trainSeed(model, data, { displayStep: 2.5 }), /displayStep must be a whole number/);
  await assert.rejects(trainSeed(model, data, { batchSize: 500 }), /batchSize 500 is larger than the training split \(96 examples\)/);
  model.dispose();
});

/** clip_by_global_norm computed in float64 from plain arrays: g · min(1, c / ‖g‖), ‖g‖ over all the arrays. */
function referenceClip(grads: readonly number[][], clipNorm: number): { clipped: number[][]; norm: number } {
  const norm = Math.sqrt(grads.reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0));
  const factor = Math.min(1, clipNorm / norm);
  return { clipped: grads.map((g) => g.map((x) => x * factor)), norm };
}

test('clipByGlobalNorm scales every gradient by min(1, c/‖g‖) with one global norm, as the reference does', () => {
  const values = [[3, -4, 1.5], [0.5, 12, -2, 0.25]];
  for (const clipNorm of [1, 5, 13.4, 100]) {
    const grads = [tf.tensor1d(values[0]!), tf.tensor2d(values[1]!, [2, 2])];
    const { clipped, globalNorm } = clipByGlobalNorm(grads, clipNorm);
    const ref = referenceClip(values, clipNorm);
    assert.ok(Math.abs((globalNorm.dataSync()[0] ?? NaN) - ref.norm) < 1e-5 * ref.norm, `norm ${globalNorm.dataSync()[0]} vs ${ref.norm}`);
    clipped.forEach((c, k) => {
      assert.deepEqual(c.shape, grads[k]!.shape);
      Array.from(c.dataSync()).forEach((v, e) => assert.ok(Math.abs(v - ref.clipped[k]![e]!) < 1e-5, `clipNorm ${clipNorm}: g${k}[${e}] = ${v}, expected ${ref.clipped[k]![e]}`));
    });
    tf.dispose([...grads, ...clipped, globalNorm]);
  }
  assert.throws(() => clipByGlobalNorm([tf.scalar(1)], 0), /clipNorm must be a positive number, got 0/);
});

test('trainStep with clipNorm moves the weights by -lr times the clipped gradient (plain SGD, against the reference)', () => {
  const data = toyData();
  const model = buildClassifier({ kind: 'seed', units: 4, seed: 5 });
  const { xs, ys } = data.train.slice(0, 16);
  const lr = 0.5;
  const clipNorm = 0.05;
  const before = model.variables.map((v) => Array.from(v.dataSync()));
  const grads = tf.tidy(() => tf.variableGrads(() => tf.losses.softmaxCrossEntropy(ys, model.predict(xs)) as tf.Scalar, model.variables as tf.Variable[]).grads);
  const raw = model.variables.map((v) => Array.from(grads[v.name]!.dataSync()));
  const ref = referenceClip(raw, clipNorm);
  assert.ok(ref.norm > 2 * clipNorm, `the test needs a gradient larger than clipNorm, got ${ref.norm}`);
  const sgd = tf.train.sgd(lr);
  trainStep(model, sgd, xs, ys, { clipNorm });
  model.variables.forEach((v, k) => {
    Array.from(v.dataSync()).forEach((after, e) => {
      const expected = before[k]![e]! - lr * ref.clipped[k]![e]!;
      assert.ok(Math.abs(after - expected) < 1e-6, `variable ${k}[${e}]: ${after}, expected ${expected}`);
    });
  });
  tf.dispose([xs, ys, ...Object.values(grads)]);
  sgd.dispose();
  model.dispose();
});

test('training with a clipNorm larger than any gradient equals training without; clipNorm is checked', async () => {
  const runOnce = async (clipNorm: number): Promise<{ weights: number[][]; losses: number[] }> => {
    const model = buildClassifier({ units: 8, seed: 6 });
    const result = await trainSeed(model, toyData(), { trainingIters: 16 * 11, batchSize: 16, displayStep: 2, learningRate: 0.01, testExamples: 16, clipNorm });
    const weights = model.variables.map((v) => Array.from(v.dataSync()));
    model.dispose();
    return { weights, losses: result.history.map((r) => r.loss) };
  };
  const plain = await runOnce(0);
  const huge = await runOnce(1e30);
  assert.deepEqual(huge, plain);
  const clipped = await runOnce(1e-3);
  assert.notDeepEqual(clipped.weights, plain.weights, 'a small clipNorm changes training');
  const model = buildClassifier({ units: 4 });
  await assert.rejects(trainSeed(model, toyData(), { clipNorm: -1 }), /clipNorm must be a number >= 0 \(0: no clipping\), got -1/);
  model.dispose();
});

test('trainStep with clipping leaves no tensors behind', () => {
  const data = toyData();
  const model = buildClassifier({ kind: 'layers', units: 8, seed: 2 });
  const optimizer = tf.train.adam(0.01);
  const counts: number[] = [];
  for (let step = 0; step < 4; step++) {
    const { xs, ys } = data.train.nextBatch(8);
    trainStep(model, optimizer, xs, ys, { clipNorm: 0.1 });
    tf.dispose([xs, ys]);
    counts.push(tf.memory().numTensors);
  }
  assert.deepEqual(counts.slice(1), Array(3).fill(counts[1]), `numTensors per step: ${counts.join(', ')}`);
  optimizer.dispose();
  model.dispose();
});
