import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  basicLstmCellStep,
  buildLayersModel,
  layersClassifier,
  BasicLstmClassifier,
  basicToLayersWeights,
} from '../../src/models';
import { describeOnBackends } from '../backends';

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] ?? NaN);
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

describeOnBackends('the seed model', () => {
  test('basicLstmCellStep computes the BasicLSTMCell equations (checked with scalar arithmetic)', () => {
    // inputSize 2, units 1: kernel [3, 4] with columns i, j, f, o.
    const kernel = tf.tensor2d([
      [0.1, -0.2, 0.3, 0.4],
      [0.5, 0.6, -0.7, 0.8],
      [-0.9, 1.0, 1.1, -1.2],
    ]);
    const bias = tf.tensor1d([0.01, 0.02, 0.03, 0.04]);
    const x = tf.tensor2d([[1.5, -0.5]]);
    const state = { c: tf.tensor2d([[0.3]]), h: tf.tensor2d([[-0.2]]) };
    const next = basicLstmCellStep(x, state, kernel, bias, 1.0);
    const col = (k: number): number =>
      1.5 * [0.1, -0.2, 0.3, 0.4][k]! -
      0.5 * [0.5, 0.6, -0.7, 0.8][k]! -
      0.2 * [-0.9, 1.0, 1.1, -1.2][k]! +
      [0.01, 0.02, 0.03, 0.04][k]!;
    const c = 0.3 * sigmoid(col(2) + 1.0) + sigmoid(col(0)) * Math.tanh(col(1));
    const h = Math.tanh(c) * sigmoid(col(3));
    assert.ok(Math.abs((next.c.dataSync()[0] ?? NaN) - c) < 1e-6, 'c');
    assert.ok(Math.abs((next.h.dataSync()[0] ?? NaN) - h) < 1e-6, 'h');
    tf.dispose([kernel, bias, x, state.c, state.h, next.c, next.h]);
  });

  test('BasicLstmClassifier has the seed shapes and seeded initial weights', () => {
    const a = new BasicLstmClassifier({ seed: 7 });
    const b = new BasicLstmClassifier({ seed: 7 });
    const c = new BasicLstmClassifier({ seed: 8 });
    assert.deepEqual(a.kernel.shape, [28 + 128, 512]);
    assert.deepEqual(a.bias.shape, [512]);
    assert.deepEqual(a.weightsOut.shape, [128, 10]);
    assert.deepEqual(a.biasesOut.shape, [10]);
    assert.equal(maxAbsDiff(a.kernel, b.kernel), 0);
    assert.ok(maxAbsDiff(a.kernel, c.kernel) > 0);
    assert.equal(
      tf.tidy(() => tf.sum(tf.abs(a.bias)).dataSync()[0]),
      0,
      'BasicLSTMCell biases start at zero',
    );
    const xs = tf.randomUniform([3, 28, 28]) as tf.Tensor3D;
    const logits = a.predict(xs);
    assert.deepEqual(logits.shape, [3, 10]);
    tf.dispose([xs, logits]);
    for (const m of [a, b, c]) m.dispose();
  });

  for (const [batch, steps, input, units] of [
    [4, 28, 28, 16],
    [2, 5, 3, 7],
    [1, 1, 4, 2],
  ] as const) {
    test(`seed model equals tf.layers.lstm + dense once weights are mapped (batch ${batch}, ${steps} steps, ${input} inputs, ${units} units)`, () => {
      const seed = new BasicLstmClassifier({ timeSteps: steps, inputSize: input, units, seed: 3 });
      // Random biases so the mapping of every gate's bias is exercised, not just zeros.
      seed.bias.assign(tf.randomNormal([4 * units], 0, 0.5, 'float32', 11));
      const model = buildLayersModel({ timeSteps: steps, inputSize: input, units, seed: 5 });
      const weights = basicToLayersWeights(seed);
      model.setWeights(weights);
      const xs = tf.randomUniform([batch, steps, input], 0, 1, 'float32', 9) as tf.Tensor3D;
      const a = seed.predict(xs);
      const b = layersClassifier(model).predict(xs);
      assert.ok(maxAbsDiff(a, b) < 1e-5, `max |seed - layers| = ${maxAbsDiff(a, b)}`);
      tf.dispose([...weights, xs, a, b]);
      seed.dispose();
      model.dispose();
    });
  }

  test('the mapping is not trivially satisfied: without the forget bias shift the outputs differ', () => {
    const seed = new BasicLstmClassifier({ timeSteps: 6, inputSize: 4, units: 5, seed: 1 });
    const model = buildLayersModel({ timeSteps: 6, inputSize: 4, units: 5 });
    const weights = basicToLayersWeights(seed);
    const unshifted = tf.sub(weights[2]!, tf.concat([tf.zeros([5]), tf.ones([5]), tf.zeros([10])]));
    model.setWeights([weights[0]!, weights[1]!, unshifted, weights[3]!, weights[4]!]);
    const xs = tf.randomUniform([2, 6, 4], 0, 1, 'float32', 2) as tf.Tensor3D;
    const a = seed.predict(xs);
    const b = layersClassifier(model).predict(xs);
    assert.ok(maxAbsDiff(a, b) > 1e-3);
    tf.dispose([...weights, unshifted, xs, a, b]);
    seed.dispose();
    model.dispose();
  });

  test('buildLayersModel starts the forget gate bias at 1 and leaks nothing when built and disposed', () => {
    const start = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) buildLayersModel({ units: 4, seed: k }).dispose();
    assert.equal(tf.memory().numTensors, start);
    const model = buildLayersModel({ units: 3 });
    const bias = Array.from(model.getLayer('lstm').getWeights()[2]!.dataSync());
    assert.deepEqual(bias, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]); // gates i, f, c, o
    model.dispose();
  });

  test('BasicLstmClassifier frees its initial values: building and disposing leaves no tensors', () => {
    const start = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) new BasicLstmClassifier({ units: 4, seed: k }).dispose();
    assert.equal(tf.memory().numTensors, start);
  });

  test('the fused and the stock layers models start from the same weights and compute the same logits', () => {
    const stock = buildLayersModel({ units: 6, seed: 4, kind: 'layers' });
    const fused = buildLayersModel({ units: 6, seed: 4, kind: 'fused' });
    const a = stock.getWeights();
    const b = fused.getWeights();
    assert.equal(a.length, b.length);
    a.forEach((w, k) => assert.equal(maxAbsDiff(w, b[k]!), 0, `weight ${k}`));
    const xs = tf.randomUniform([3, 28, 28], 0, 1, 'float32', 5) as tf.Tensor3D;
    const ya = stock.predict(xs) as tf.Tensor;
    const yb = fused.predict(xs) as tf.Tensor;
    assert.ok(maxAbsDiff(ya, yb) < 1e-5, `max diff ${maxAbsDiff(ya, yb)}`);
    tf.dispose([xs, ya, yb]);
    stock.dispose();
    fused.dispose();
  });
});
