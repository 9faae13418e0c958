import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../src/backend';
import { finiteDifferences, maxAbsDifference, relativeError } from '../../src/teach/gradcheck';
import {
  PlainRnn,
  plainRnnBackward,
  plainRnnForward,
  plainRnnLoss,
  type PlainRnnParams,
} from '../../src/teach/plain-rnn';
import { makeToySequences } from '../../src/teach/toy-tasks';

before(async () => {
  await setupBackend({ backend: 'cpu' });
});

function paramsOf(list: readonly tf.Tensor[]): PlainRnnParams {
  const [wx, wh, b, wy, by] = list as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D];
  return { wx, wh, b, wy, by };
}

function handGradients(model: PlainRnn, xs: tf.Tensor3D, ys: tf.Tensor2D): tf.Tensor[] {
  const forward = plainRnnForward(model, xs);
  const g = plainRnnBackward(model, xs, ys, forward);
  tf.dispose([forward.hs, forward.logits, g.dhs]);
  return [g.wx, g.wh, g.b, g.wy, g.by];
}

for (const [inputSize, units, classes, steps, batch] of [
  [1, 3, 2, 5, 4],
  [3, 4, 3, 7, 2],
  [2, 2, 2, 1, 3],
] as const) {
  test(`hand-written BPTT equals tf.grads (${inputSize} inputs, ${units} units, ${classes} classes, ${steps} steps, batch ${batch})`, () => {
    const model = new PlainRnn({ inputSize, units, numClasses: classes, seed: 4 });
    // Random biases so that every gradient term is exercised, not just the zero-bias case.
    model.b.assign(tf.randomNormal([units], 0, 0.5, 'float32', 1));
    model.by.assign(tf.randomNormal([classes], 0, 0.5, 'float32', 2));
    const xs = tf.randomNormal([batch, steps, inputSize], 0, 1, 'float32', 3) as tf.Tensor3D;
    const ys = tf.tidy(
      () =>
        tf
          .oneHot(
            tf.tensor1d(
              Array.from({ length: batch }, (_, n) => n % classes),
              'int32',
            ),
            classes,
          )
          .toFloat() as tf.Tensor2D,
    );
    const hand = handGradients(model, xs, ys);
    const auto = tf.grads((...p: tf.Tensor[]) => plainRnnLoss(paramsOf(p), xs, ys))([...model.variables]);
    assert.ok(maxAbsDifference(hand, auto) < 1e-6, `max |hand - tf.grads| = ${maxAbsDifference(hand, auto)}`);
    assert.ok(relativeError(hand, auto) < 1e-5, `relative error ${relativeError(hand, auto)}`);
    tf.dispose([hand, auto, xs, ys]);
    model.dispose();
  });
}

test('hand-written BPTT agrees with finite differences, and a wrong backward pass does not', () => {
  const model = new PlainRnn({ inputSize: 1, units: 3, numClasses: 2, seed: 0 });
  const task = makeToySequences({ task: 'sumSign', count: 8, timeSteps: 5, seed: 1 });
  const hand = handGradients(model, task.xs, task.ys);
  const numeric = finiteDifferences((p) => plainRnnLoss(paramsOf(p), task.xs, task.ys), model.variables);
  const error = relativeError(hand, numeric);
  assert.ok(error < 2e-3, `relative error hand vs finite differences ${error}`);
  // A classic BPTT bug: forgetting the tanh derivative. The check must catch it.
  const broken = tf.tidy(() => {
    const forward = plainRnnForward(model, task.xs);
    const rows = tf.unstack(task.xs, 1) as tf.Tensor2D[];
    const dLogits = tf.div(tf.sub(tf.softmax(forward.logits), task.ys), 8);
    let dh = tf.matMul(dLogits, model.wy, false, true);
    let wx = tf.zerosLike(model.wx);
    for (let t = 4; t >= 0; t--) {
      wx = tf.add(wx, tf.matMul(rows[t] as tf.Tensor2D, dh, true, false));
      dh = tf.matMul(dh, model.wh, false, true);
    }
    return wx;
  });
  assert.ok(
    relativeError([broken], [numeric[0] as tf.Tensor]) > 0.05,
    'a BPTT without the tanh derivative must fail the check',
  );
  tf.dispose([hand, numeric, broken, task.xs, task.ys]);
  model.dispose();
});

test('dL/dh_t from the backward pass equals tf.grad with respect to a probe added to h_t', () => {
  const model = new PlainRnn({ inputSize: 2, units: 3, numClasses: 2, seed: 6 });
  const xs = tf.randomNormal([2, 4, 2], 0, 1, 'float32', 7) as tf.Tensor3D;
  const ys = tf.tensor2d([
    [1, 0],
    [0, 1],
  ]);
  const forward = plainRnnForward(model, xs);
  const g = plainRnnBackward(model, xs, ys, forward);
  // The loss as a function of additive probes on every h_t; its gradient at 0 is dL/dh_t.
  const probes = Array.from({ length: 4 }, () => tf.zeros([2, 3]));
  const byProbe = tf.grads((...z: tf.Tensor[]) => {
    const rows = tf.unstack(xs, 1) as tf.Tensor2D[];
    let h: tf.Tensor = tf.zeros([2, 3]);
    rows.forEach((row, t) => {
      h = tf.add(tf.tanh(tf.add(tf.add(tf.matMul(row, model.wx), tf.matMul(h, model.wh)), model.b)), z[t] as tf.Tensor);
    });
    return tf.losses.softmaxCrossEntropy(ys, tf.add(tf.matMul(h, model.wy), model.by)) as tf.Scalar;
  })(probes);
  assert.ok(maxAbsDifference(g.dhs, byProbe) < 1e-6, `max diff ${maxAbsDifference(g.dhs, byProbe)}`);
  tf.dispose([forward.hs, forward.logits, g.wx, g.wh, g.b, g.wy, g.by, g.dhs, probes, byProbe, xs, ys]);
  model.dispose();
});

test('PlainRnn is a Classifier: logits shape, seeded weights, outputs per step, no leaks', () => {
  const before = tf.memory().numTensors;
  const a = new PlainRnn({ inputSize: 28, units: 8, numClasses: 10, seed: 1 });
  const b = new PlainRnn({ inputSize: 28, units: 8, numClasses: 10, seed: 1 });
  assert.equal(maxAbsDifference(a.variables, b.variables), 0);
  const xs = tf.randomUniform([3, 28, 28], 0, 1, 'float32', 2) as tf.Tensor3D;
  const logits = a.predict(xs);
  assert.deepEqual(logits.shape, [3, 10]);
  const hs = a.outputs(xs);
  assert.equal(hs.length, 28);
  assert.deepEqual(hs[27]?.shape, [3, 8]);
  const after = tf.memory().numTensors;
  tf.dispose([xs, logits, hs]);
  a.dispose();
  b.dispose();
  assert.equal(tf.memory().numTensors, before, `left ${after - before} tensors before disposing`);
});
