import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { DataSet, type Datasets } from '../src/data';
import { buildClassifier, BasicLstmClassifier, type Classifier } from '../src/models';
import { formatIterLine, formatTestingLine } from '../src/format';
import { InterruptedError } from '../src/interrupt';
import {
  clipByGlobalNorm,
  countSteps,
  DivergedError,
  evaluate,
  trainTutorial,
  TrainingInterruptedError,
  trainStep,
} from '../src/train';
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
  return {
    train: toySet(96, 1),
    validation: toySet(20, 2),
    test: toySet(40, 3),
    source: 'bundled',
    description: 'toy rows',
  };
}

test('countSteps matches the seed loop `while step * batch_size < training_iters`', () => {
  for (const [iters, batch] of [
    [100_000, 128],
    [1280, 128],
    [1281, 128],
    [10, 3],
    [1, 1],
    [128, 128],
  ] as const) {
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
  test('trainTutorial prints the seed log, returns consistent accuracies and learns', async () => {
    const data = toyData();
    const model = buildClassifier({ units: 16, seed: 1 });
    const lines: string[] = [];
    const progress: number[] = [];
    const result = await trainTutorial(model, data, {
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
      assert.match(
        lines[k]!,
        new RegExp(`^Iter ${iter}, Minibatch Loss= \\d+\\.\\d{6}, Training Accuracy= \\d\\.\\d{5}$`),
      );
    });
    assert.equal(lines[3], 'Optimization Finished!');
    assert.match(lines[4]!, /^Testing Accuracy: \d\.\d{6}$/);
    assert.equal(lines.length, 5);
    assert.deepEqual(
      result.history.map((r) => r.step),
      [20, 40, 60],
    );
    assert.deepEqual(
      result.validation.map((r) => r.step),
      [30, 60],
    );
    assert.equal(progress.length, 60);
    assert.equal(progress.at(-1), 960);
    // The numbers returned are the numbers printed, and agree with a count made here: argmax of
    // the logits of all test images at once against the labels.
    assert.equal(lines[4], formatTestingLine(result.testingAccuracy));
    assert.equal(lines[2], formatIterLine(960, result.history[2]!.loss, result.history[2]!.accuracy));
    const { xs, ys } = data.test.all();
    const predicted = Array.from(tf.tidy(() => tf.argMax(model.predict(xs), 1)).dataSync());
    tf.dispose([xs, ys]);
    const hits = predicted.map((p, k) => (p === data.test.labels[k] ? 1 : 0));
    const sum = (a: number[]): number => a.reduce((s, v) => s + v, 0);
    assert.equal(result.testingAccuracy, sum(hits.slice(0, 16)) / 16);
    assert.equal(result.testAccuracy, sum(hits) / hits.length);
    // evaluate() in batches that do not divide the split gives the same count, and the mean loss.
    const loss = tf.tidy(
      () => tf.losses.softmaxCrossEntropy(data.test.all().ys, model.predict(data.test.all().xs)).dataSync()[0] ?? NaN,
    );
    for (const batchSize of [7, 13, 40]) {
      const r = evaluate(model, data.test, batchSize);
      assert.equal(r.accuracy, sum(hits) / hits.length, `batch ${batchSize}`);
      assert.ok(Math.abs(r.loss - loss) < 1e-5, `batch ${batchSize}: loss ${r.loss} vs ${loss}`);
    }
    assert.ok(result.testAccuracy > 0.5, `the toy task is learnable, got ${result.testAccuracy}`);
    model.dispose();
  });

  for (const kind of ['fused', 'layers', 'basic'] as const) {
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

  test('trainTutorial leaves no tensors behind', async () => {
    const data = toyData();
    const model = new BasicLstmClassifier({ units: 4, seed: 3 });
    const before = tf.memory().numTensors;
    await trainTutorial(model, data, { trainingIters: 8 * 6, batchSize: 8, displayStep: 2, validateEvery: 2 });
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  });
});

test('trainTutorial rejects bad options with a message naming them', async () => {
  const data = toyData();
  const model = buildClassifier({ units: 4 });
  await assert.rejects(
    trainTutorial(model, data, { batchSize: 0 }),
    /^UsageError: batchSize must be a whole number >= 1, got 0$/,
  );
  await assert.rejects(trainTutorial(model, data, { displayStep: 2.5 }), /displayStep must be a whole number/);
  await assert.rejects(
    trainTutorial(model, data, { batchSize: 500 }),
    /batchSize 500 is larger than the training split \(96 examples\)/,
  );
  model.dispose();
});

/** clip_by_global_norm computed in float64 from plain arrays: g · min(1, c / ‖g‖), ‖g‖ over all the arrays. */
function referenceClip(grads: readonly number[][], clipNorm: number): { clipped: number[][]; norm: number } {
  const norm = Math.sqrt(grads.reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0));
  const factor = Math.min(1, clipNorm / norm);
  return { clipped: grads.map((g) => g.map((x) => x * factor)), norm };
}

describeOnBackends('gradient clipping', () => {
  test('clipByGlobalNorm scales every gradient by min(1, c/‖g‖) with one global norm, as the reference does', () => {
    const values = [
      [3, -4, 1.5],
      [0.5, 12, -2, 0.25],
    ];
    for (const clipNorm of [1, 5, 13.4, 100]) {
      const grads = [tf.tensor1d(values[0]!), tf.tensor2d(values[1]!, [2, 2])];
      const { clipped, globalNorm } = clipByGlobalNorm(grads, clipNorm);
      const ref = referenceClip(values, clipNorm);
      assert.ok(
        Math.abs((globalNorm.dataSync()[0] ?? NaN) - ref.norm) < 1e-5 * ref.norm,
        `norm ${globalNorm.dataSync()[0]} vs ${ref.norm}`,
      );
      clipped.forEach((c, k) => {
        assert.deepEqual(c.shape, grads[k]!.shape);
        Array.from(c.dataSync()).forEach((v, e) =>
          assert.ok(
            Math.abs(v - ref.clipped[k]![e]!) < 1e-5,
            `clipNorm ${clipNorm}: g${k}[${e}] = ${v}, expected ${ref.clipped[k]![e]}`,
          ),
        );
      });
      tf.dispose([...grads, ...clipped, globalNorm]);
    }
    assert.throws(() => clipByGlobalNorm([tf.scalar(1)], 0), /clipNorm must be a positive number, got 0/);
  });

  test('trainStep with clipNorm moves the weights by -lr times the clipped gradient (plain SGD, against the reference)', () => {
    const data = toyData();
    const model = buildClassifier({ kind: 'basic', units: 4, seed: 5 });
    const { xs, ys } = data.train.slice(0, 16);
    const lr = 0.5;
    const clipNorm = 0.05;
    const before = model.variables.map((v) => Array.from(v.dataSync()));
    const grads = tf.tidy(
      () =>
        tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(ys, model.predict(xs)) as tf.Scalar,
          model.variables as tf.Variable[],
        ).grads,
    );
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
      const result = await trainTutorial(model, toyData(), {
        trainingIters: 16 * 11,
        batchSize: 16,
        displayStep: 2,
        learningRate: 0.01,
        testExamples: 16,
        clipNorm,
      });
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
    await assert.rejects(
      trainTutorial(model, toyData(), { clipNorm: -1 }),
      /clipNorm must be a finite number >= 0 \(0: no clipping\), got -1/,
    );
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
});

describeOnBackends('stopping and diverging', () => {
  /** The weights after exactly `steps` optimiser steps from seed 4 (the reference for a stopped run). */
  async function weightsAfter(steps: number): Promise<number[][]> {
    const model = buildClassifier({ units: 8, seed: 4 });
    await trainTutorial(model, toyData(), {
      trainingIters: 16 * (steps + 1),
      batchSize: 16,
      displayStep: 1,
      learningRate: 0.01,
      testExamples: 16,
    });
    const w = model.variables.map((v) => Array.from(v.dataSync()));
    model.dispose();
    return w;
  }

  test('an AbortSignal stops training before its next step: the error says where, the model keeps that step, nothing is left behind', async () => {
    const model = buildClassifier({ units: 8, seed: 4 });
    const before = tf.memory().numTensors;
    const listeners = process.listenerCount('SIGINT');
    const controller = new AbortController();
    const lines: string[] = [];
    const run = trainTutorial(model, toyData(), {
      trainingIters: 16 * 40,
      batchSize: 16,
      displayStep: 1,
      learningRate: 0.01,
      testExamples: 16,
      signal: controller.signal,
      onLog: (l) => lines.push(l),
      onProgress: (p) => {
        if (p.step === 5) controller.abort();
      },
    });
    await assert.rejects(
      run,
      (e: unknown) =>
        e instanceof TrainingInterruptedError &&
        e.message === 'training interrupted at step 5 of 39' &&
        e.history.length === 5,
    );
    assert.equal(lines.length, 5, 'no line after the stop');
    assert.deepEqual(
      model.variables.map((v) => Array.from(v.dataSync())),
      await weightsAfter(5),
      'the weights of step 5, as a run of exactly 5 steps leaves them',
    );
    assert.equal(tf.memory().numTensors, before, 'the optimiser and batches are freed');
    assert.equal(process.listenerCount('SIGINT'), listeners, 'no SIGINT listener left behind');
    model.dispose();
  });

  test("a SIGINT (Ctrl-C, Jupyter's stop button) stops it the same way, and the next run is clean", async () => {
    const model = buildClassifier({ units: 8, seed: 4 });
    const listeners = process.listenerCount('SIGINT');
    // Keep this process alive through the signal, as tslab's own listener keeps a kernel alive.
    const keepAlive = (): void => {};
    process.on('SIGINT', keepAlive);
    try {
      const run = trainTutorial(model, toyData(), {
        trainingIters: 16 * 40,
        batchSize: 16,
        displayStep: 1,
        learningRate: 0.01,
        testExamples: 16,
        onProgress: (p) => {
          if (p.step === 3) process.kill(process.pid, 'SIGINT');
        },
      });
      await assert.rejects(
        run,
        (e: unknown) =>
          e instanceof InterruptedError && /^training interrupted at step \d+ of 39$/.test((e as Error).message),
      );
      const again = await trainTutorial(model, toyData(), {
        trainingIters: 16 * 3,
        batchSize: 16,
        displayStep: 1,
        testExamples: 16,
      });
      assert.equal(again.steps, 2);
    } finally {
      process.removeListener('SIGINT', keepAlive);
    }
    assert.equal(process.listenerCount('SIGINT'), listeners);
    model.dispose();
  });

  test('a signal that has already aborted stops before the first step', async () => {
    const model = buildClassifier({ units: 4, seed: 1 });
    const w = model.variables.map((v) => Array.from(v.dataSync()));
    await assert.rejects(
      trainTutorial(model, toyData(), { batchSize: 16, signal: AbortSignal.abort() }),
      /training interrupted at step 0 of 6249/,
    );
    assert.deepEqual(
      model.variables.map((v) => Array.from(v.dataSync())),
      w,
      'untouched',
    );
    model.dispose();
  });

  test('a NaN loss stops training with one error naming the step and the learning rate', async () => {
    const model = buildClassifier({ kind: 'basic', units: 8, seed: 2 });
    const before = tf.memory().numTensors;
    const run = trainTutorial(model, toyData(), {
      trainingIters: 16 * 60,
      batchSize: 16,
      displayStep: 1,
      learningRate: 1e38,
      testExamples: 16,
    });
    await assert.rejects(run, (e: unknown) => {
      assert.ok(e instanceof DivergedError, String(e));
      assert.ok(!Number.isFinite(e.loss));
      assert.match(
        e.message,
        /^training diverged at step \d+ of 59: the loss is (NaN|infinite); the learning rate \(1e\+38\) is likely too high \(the tutorial's is 0\.001\)/,
      );
      return true;
    });
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  });

  test('a loss far above guessing gets one warning, and training goes on', async () => {
    const model = buildClassifier({ kind: 'basic', units: 8, seed: 2 });
    const warnings: string[] = [];
    const result = await trainTutorial(model, toyData(), {
      trainingIters: 16 * 6,
      batchSize: 16,
      displayStep: 1,
      learningRate: 30,
      testExamples: 16,
      onWarning: (w) => warnings.push(w),
    });
    const high = result.history.filter((r) => r.loss > 10 * Math.log(10));
    assert.ok(
      high.length >= 1,
      `lr 30 should push the loss over 10 ln 10 here: ${result.history.map((r) => r.loss.toFixed(1)).join(', ')}`,
    );
    assert.equal(warnings.length, 1, warnings.join(' | '));
    assert.match(
      warnings[0] ?? '',
      new RegExp(
        `^step ${high[0]?.step}: the minibatch loss \\d+\\.\\d is over 10 x ln\\(10\\) = 23\\.0, far above guessing; the learning rate \\(30\\) is likely too high$`,
      ),
    );
    model.dispose();
  });
});

test('rejected calls neither hang nor leave tensors behind: evaluate with batchSize 0 or 0.5, a budget under one step', async () => {
  const model = buildClassifier({ units: 4 });
  const data = toyData();
  const before = tf.memory().numTensors;
  // A batch size of 0 used to advance the loop by 0 examples forever.
  for (const batchSize of [0, -1, 0.5, Number.NaN]) {
    assert.throws(
      () => evaluate(model, data.test, batchSize),
      /^UsageError: evaluate: batchSize must be a whole number >= 1, got /,
    );
  }
  // countSteps(16, 16) is 0: the reference the message states.
  assert.equal(countSteps(16, 16), 0);
  await assert.rejects(
    trainTutorial(model, data, { trainingIters: 16, batchSize: 16 }),
    /trainingIters 16 with batchSize 16 makes no training step/,
  );
  await assert.rejects(
    trainTutorial(model, data, { evalBatchSize: 0, trainingIters: 64, batchSize: 16 }),
    /evalBatchSize must be a whole number >= 1, got 0/,
  );
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

test('trainStep refuses labels that are not one-hot by value (3s, -1s, rows not summing to 1), keeps soft labels, and leaves the weights alone', () => {
  const data = toyData();
  const batch = data.train.nextBatch(8);
  const model = buildClassifier({ kind: 'fused', units: 4, seed: 0 });
  const optimizer = tf.train.adam(0.01);
  trainStep(model, optimizer, batch.xs, batch.ys);
  const before = tf.memory().numTensors;
  const weights = model.variables.map((v) => Array.from(v.dataSync()));
  const hot = batch.ys.arraySync();
  const cases: [string, number[][], RegExp][] = [
    ['all 3s', hot.map((r) => r.map(() => 3)), /row 0 is \[3, 3, 3, 3, 3, 3, 3, 3, 3, 3\]$/],
    ['-1 for "no"', hot.map((r) => r.map((v) => (v === 1 ? 1 : -1))), /row 0 is \[(-1|1), /],
    [
      'one row of two 1s',
      hot.map((r, n) => (n === 5 ? r.map((v, k) => (k === (r.indexOf(1) + 1) % 10 ? 1 : v)) : r)),
      /row 5 is /,
    ],
    [
      'a 2 and a -1 in one row, summing to 1',
      hot.map((r, n) => (n === 2 ? [2, -1, 0, 0, 0, 0, 0, 0, 0, 0] : r)),
      /row 2 is \[2, -1, 0, 0, 0, 0, 0, 0, 0, 0\]$/,
    ],
  ];
  for (const [what, rows, row] of cases) {
    const ys = tf.tensor2d(rows);
    assert.throws(
      () => trainStep(model, optimizer, batch.xs, ys),
      (e: unknown) =>
        e instanceof Error &&
        /^trainStep: labels must be one-hot \(each row 0s and one 1, or probabilities summing to 1\); /.test(
          e.message,
        ) &&
        row.test(e.message),
      what,
    );
    ys.dispose();
  }
  assert.equal(tf.memory().numTensors, before, 'a rejected call left tensors behind');
  assert.deepEqual(
    model.variables.map((v) => Array.from(v.dataSync())),
    weights,
    'a rejected call changed the weights',
  );
  // Soft labels (label smoothing: 0.91 and 0.01s) are probabilities summing to 1: they train.
  const soft = tf.tidy(() => tf.add(tf.mul(batch.ys, 0.9), 0.01) as tf.Tensor2D);
  assert.ok(Number.isFinite(trainStep(model, optimizer, batch.xs, soft)));
  tf.dispose([soft, batch.xs, batch.ys]);
  optimizer.dispose();
  model.dispose();
});

test('trainStep refuses labels of the wrong shape before recording a gradient, so a retried bad call frees everything', () => {
  const data = toyData();
  const batch = data.train.nextBatch(8);
  for (const kind of ['fused', 'layers', 'basic'] as const) {
    const model = buildClassifier({ kind, units: 4, seed: 0 });
    const optimizer = tf.train.adam(0.01);
    trainStep(model, optimizer, batch.xs, batch.ys); // the optimiser's own state exists from here on
    const before = tf.memory().numTensors;
    // Before the check, each of these left 200-800 tensors saved for a backward pass that never ran.
    for (const ys of [tf.zeros([8]), tf.zeros([8, 1]), tf.zeros([8, 11]), tf.zeros([7, 10])]) {
      for (let retry = 0; retry < 3; retry++) {
        assert.throws(
          () => trainStep(model, optimizer, batch.xs, ys as tf.Tensor2D),
          new RegExp(
            `^UsageError: trainStep: labels must be one-hot \\[8, 10\\] for xs \\[8, 28, 28\\], got \\[${ys.shape.join(', ')}\\]$`,
          ),
        );
      }
      ys.dispose();
    }
    assert.equal(tf.memory().numTensors, before, `${kind}: a rejected call left tensors behind`);
    // The model still trains, from the same weights, once given proper labels.
    assert.ok(Number.isFinite(trainStep(model, optimizer, batch.xs, batch.ys)));
    optimizer.dispose();
    model.dispose();
  }
  tf.dispose([batch.xs, batch.ys]);
});
