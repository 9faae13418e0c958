import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../src/backend';
import { basicLstmCellStep, BasicLstmClassifier } from '../../src/models';
import { maxAbsDifference } from '../../src/teach/gradcheck';
import {
  disposeTrace,
  exampleRows,
  LSTM_TRACE_NAMES,
  stepProbabilities,
  traceBasicLstm,
} from '../../src/teach/inspect';

before(async () => {
  await setupBackend({ backend: 'cpu' });
});

function model(): BasicLstmClassifier {
  const m = new BasicLstmClassifier({ inputSize: 6, timeSteps: 7, units: 5, numClasses: 4, seed: 3 });
  m.bias.assign(tf.randomNormal([20], 0, 0.5, 'float32', 4));
  return m;
}

test('traceBasicLstm: h and c equal the cell step by step; gates lie in their ranges; f includes the forget bias', () => {
  const m = model();
  const xs = tf.randomUniform([3, 7, 6], 0, 1, 'float32', 5) as tf.Tensor3D;
  const trace = traceBasicLstm(m, xs);
  for (const name of LSTM_TRACE_NAMES) assert.deepEqual(trace[name].shape, [3, 7, 5], name);
  const hs = m.outputs(xs);
  const traced = tf.unstack(trace.h, 1);
  assert.ok(maxAbsDifference(traced, hs) < 1e-6, 'h equals BasicLstmClassifier.outputs');
  // c from the cell itself, step by step.
  const rows = tf.unstack(xs, 1) as tf.Tensor2D[];
  let state = { c: tf.zeros([3, 5]) as tf.Tensor2D, h: tf.zeros([3, 5]) as tf.Tensor2D };
  const cs: tf.Tensor[] = [];
  for (const row of rows) {
    state = basicLstmCellStep(row, state, m.kernel, m.bias, 1);
    cs.push(state.c);
  }
  assert.ok(maxAbsDifference(tf.unstack(trace.c, 1), cs) < 1e-6, 'c equals basicLstmCellStep');
  const range = (t: tf.Tensor): [number, number] => [
    tf.min(t).dataSync()[0] as number,
    tf.max(t).dataSync()[0] as number,
  ];
  for (const name of ['i', 'f', 'o'] as const) {
    const [lo, hi] = range(trace[name]);
    assert.ok(lo > 0 && hi < 1, `${name} in (0, 1): ${lo}..${hi}`);
  }
  const [jlo, jhi] = range(trace.j);
  assert.ok(jlo > -1 && jhi < 1);
  // f at step 0 with h = 0: sigmoid(x_0 · W_f + b_f + 1).
  const f0 = tf.tidy(() => {
    const xh = tf.concat([rows[0] as tf.Tensor2D, tf.zeros([3, 5])], 1);
    const pre = tf.add(tf.matMul(xh, tf.slice(m.kernel, [0, 10], [11, 5])), tf.slice(m.bias, [10], [5]));
    return tf.sigmoid(tf.add(pre, 1));
  });
  const traceF0 = tf.tidy(() => tf.squeeze(tf.slice(trace.f, [0, 0, 0], [3, 1, 5]), [1]));
  assert.ok(maxAbsDifference([f0], [traceF0]) < 1e-6);
  const before = tf.memory().numTensors;
  disposeTrace(trace);
  assert.equal(tf.memory().numTensors, before - 6);
  tf.dispose([xs, hs, traced, rows, state.c, state.h, cs, f0, traceF0]);
  m.dispose();
});

test('stepProbabilities after row t equal the model run on the sequence truncated after row t', () => {
  const m = model();
  const xs = tf.randomUniform([2, 7, 6], 0, 1, 'float32', 6) as tf.Tensor3D;
  const probabilities = stepProbabilities(m, xs);
  assert.deepEqual(probabilities.shape, [2, 7, 4]);
  for (let t = 0; t < 7; t++) {
    const [fromSteps, truncated] = tf.tidy(() => [
      tf.squeeze(tf.slice(probabilities, [0, t, 0], [2, 1, 4]), [1]),
      tf.softmax(m.predict(tf.slice(xs, [0, 0, 0], [2, t + 1, 6]) as tf.Tensor3D)),
    ]);
    assert.ok(maxAbsDifference([fromSteps as tf.Tensor], [truncated as tf.Tensor]) < 1e-6, `step ${t}`);
    tf.dispose([fromSteps as tf.Tensor, truncated as tf.Tensor]);
  }
  const sums = tf.tidy(() => tf.sum(probabilities, 2).dataSync());
  sums.forEach((s) => assert.ok(Math.abs(s - 1) < 1e-5));
  tf.dispose([probabilities, xs]);
  m.dispose();
});

test('exampleRows returns one example as [steps][units] and checks the index', () => {
  const values = tf.tensor3d([
    [
      [1, 2],
      [3, 4],
    ],
    [
      [5, 6],
      [7, 8],
    ],
  ]);
  assert.deepEqual(exampleRows(values, 1), [
    [5, 6],
    [7, 8],
  ]);
  assert.throws(() => exampleRows(values, 2), /example 2 is outside 0..1/);
  values.dispose();
});
