/**
 * The echo task and truncated BPTT (notebook 6): the answers are the bits `delay` steps back;
 * with one chunk the truncated gradient is the full one (tf.grads of the whole loss); with chunks
 * the state crosses them and the error does not; and training learns the echo exactly when the
 * window is longer than the delay.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../src/backend';
import { echoAccuracy, echoLoss, makeEchoTask, trainEchoTruncated, truncatedEchoGradients } from '../../src/teach/echo';
import { PlainRnn } from '../../src/teach/plain-rnn';

before(async () => {
  await setupBackend({ backend: 'cpu' });
});

test('echo sequences: the answer at step t is the bit read delay steps before; none is asked before that', () => {
  const task = makeEchoTask({ count: 20, timeSteps: 9, delay: 3, seed: 4 });
  assert.deepEqual(task.xs.shape, [20, 9, 1]);
  assert.deepEqual(task.ys.shape, [20, 9, 2]);
  assert.deepEqual(Array.from(task.xs.dataSync()), task.bits.flat());
  const ys = task.ys.arraySync();
  task.bits.forEach((row, n) => {
    row.forEach((_, t) => {
      const expected = t < 3 ? [0, 0] : (row[t - 3] ?? -1) === 1 ? [0, 1] : [1, 0];
      assert.deepEqual(ys[n]?.[t], expected, `sequence ${n}, step ${t}`);
    });
  });
  assert.ok(task.bits.flat().includes(0) && task.bits.flat().includes(1));
  assert.deepEqual(makeEchoTask({ count: 20, timeSteps: 9, delay: 3, seed: 4 }).bits, task.bits);
  assert.throws(() => makeEchoTask({ count: 2, timeSteps: 5, delay: 5, seed: 0 }), /delay 5 leaves no step to answer/);
  assert.throws(() => makeEchoTask({ count: 0, timeSteps: 5, delay: 1, seed: 0 }), /count must be a whole number >= 1/);
  tf.dispose([task.xs, task.ys]);
});

test('one chunk is the full gradient (tf.grads of the whole loss); shorter chunks drop what crosses them', () => {
  const task = makeEchoTask({ count: 16, timeSteps: 10, delay: 2, seed: 1 });
  const net = new PlainRnn({ inputSize: 1, units: 6, numClasses: 2, seed: 3 });
  const names = ['wx', 'wh', 'b', 'wy', 'by'] as const;
  const full = tf.grads((wx, wh, b, wy, by) => echoLoss({ wx, wh, b, wy, by } as never, task))(
    names.map((n) => net[n]),
  );
  const whole = truncatedEchoGradients(net, task, 10);
  const longer = truncatedEchoGradients(net, task, 50);
  const cut = truncatedEchoGradients(net, task, 2);
  const gap = (a: tf.Tensor, b: tf.Tensor): number => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] ?? Number.NaN;
  names.forEach((n, k) => {
    const reference = full[k] as tf.Tensor;
    assert.ok(gap(whole[n], reference) < 1e-6, `${n}: window = timeSteps`);
    assert.ok(gap(longer[n], reference) < 1e-6, `${n}: window > timeSteps`);
  });
  // The output layer sees each answer's own step only, so truncation leaves its gradient alone;
  // the recurrent weights lose the error that would have crossed a chunk boundary.
  assert.ok(gap(cut.wy, full[3] as tf.Tensor) < 1e-6, 'wy');
  assert.ok(gap(cut.wh, full[1] as tf.Tensor) > 1e-4, 'wh');
  assert.throws(() => truncatedEchoGradients(net, task, 0), /window must be a whole number >= 1, got 0/);
  tf.dispose([task.xs, task.ys, ...full, ...Object.values(whole), ...Object.values(longer), ...Object.values(cut)]);
  net.dispose();
});

test('truncated BPTT learns the echo when the window is longer than the delay, not when it is as long', () => {
  // Notebook 6's set-up: 28 steps, an answer 4 steps back, 16 units, 150 batches of 32.
  const delay = 4;
  const held = makeEchoTask({ count: 200, timeSteps: 28, delay, seed: 999 });
  const before = tf.memory().numTensors;
  const accuracyAfter = (window: number): number => {
    const net = new PlainRnn({ inputSize: 1, units: 16, numClasses: 2, seed: 0 });
    const optimizer = tf.train.adam(0.01);
    for (let s = 0; s < 150; s++) {
      const task = makeEchoTask({ count: 32, timeSteps: 28, delay, seed: s });
      const loss = trainEchoTruncated(net, optimizer, task, window);
      assert.ok(Number.isFinite(loss));
      tf.dispose([task.xs, task.ys]);
    }
    const accuracy = echoAccuracy(net, held);
    optimizer.dispose();
    net.dispose();
    return accuracy;
  };
  const [short, long] = [accuracyAfter(delay), accuracyAfter(delay + 1)];
  // As long as the delay, only the output layer learns, reading what the untrained memory happens
  // to keep: a little above chance (0.5).
  assert.ok(short < 0.7, `window ${delay}: accuracy ${short} (chance is 0.5)`);
  assert.ok(long > 0.95, `window ${delay + 1}: accuracy ${long}`);
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  tf.dispose([held.xs, held.ys]);
});
