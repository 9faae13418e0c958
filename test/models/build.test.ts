/**
 * Model families, on every backend: every cell / depth / direction maps [batch, 28, 28] to logits [batch, 10],
 * is seeded, leaks no tensors when built, disposed or trained; the bidirectional construction
 * (ReverseTime) computes what tf.layers.bidirectional computes with the same weights, and the
 * fused and stock LSTM agree in stacked bidirectional models too.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildClassifier, buildFamilyModel, buildLayersModel, CELL_TYPES, isLayersClassifier, resolveClassifierOptions, type Classifier } from '../../src/models';
import { trainStep } from '../../src/train';
import { describeOnBackends } from '../backends';

const UNITS = 8;

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] ?? Infinity);
}

function input(batch: number, seed: number): tf.Tensor3D {
  return tf.randomUniform([batch, 28, 28], 0, 1, 'float32', seed) as tf.Tensor3D;
}

function weightsOf(c: Classifier): Float32Array[] {
  return c.variables.map((v) => v.dataSync() as Float32Array);
}

describeOnBackends('model families', () => {
describe('shapes, seeds and memory', () => {
  for (const cell of CELL_TYPES) {
    for (const layers of [1, 2]) {
      for (const bidirectional of [false, true]) {
        it(`${cell}, ${layers} layer(s)${bidirectional ? ', bidirectional' : ''}: logits [batch, 10], seeded, no leaks`, () => {
          const before = tf.memory().numTensors;
          const x = input(3, 1);
          const a = buildClassifier({ cell, layers, bidirectional, units: UNITS, seed: 5 });
          const b = buildClassifier({ cell, layers, bidirectional, units: UNITS, seed: 5 });
          const c = buildClassifier({ cell, layers, bidirectional, units: UNITS, seed: 6 });
          const y = a.predict(x);
          assert.deepEqual(y.shape, [3, 10]);
          // Weights per recurrent layer (kernel, recurrent kernel, bias) and the dense layer's two.
          assert.equal(a.variables.length, 3 * layers * (bidirectional ? 2 : 1) + 2);
          assert.deepEqual(weightsOf(a), weightsOf(b), 'same seed, same initial weights');
          assert.notDeepEqual(weightsOf(a), weightsOf(c), 'another seed, other weights');
          // The output of stacked layers feeds the next: a bidirectional layer gives 2 * units.
          const dense = a.variables[a.variables.length - 2];
          assert.deepEqual(dense?.shape, [UNITS * (bidirectional ? 2 : 1), 10]);
          tf.dispose([x, y]);
          for (const m of [a, b, c]) m.dispose();
          assert.equal(tf.memory().numTensors, before, 'build + predict + dispose leaves nothing');
        });
      }
    }
  }

  it('the default kind is fused for lstm and layers for gru and simple-rnn', () => {
    assert.equal(resolveClassifierOptions({}).kind, 'fused');
    assert.equal(resolveClassifierOptions({ cell: 'gru' }).kind, 'layers');
    assert.equal(resolveClassifierOptions({ cell: 'simple-rnn' }).kind, 'layers');
    const names = [buildClassifier({ units: UNITS }), buildClassifier({ kind: 'layers', units: UNITS }), buildClassifier({ cell: 'gru', layers: 2, bidirectional: true, units: UNITS })];
    assert.deepEqual(names.map((c) => c.name), ['fused LSTM', 'tf.layers.lstm', '2 x tf.layers.gru, bidirectional']);
    assert.ok(names.every(isLayersClassifier));
    names.forEach((c) => c.dispose());
  });

  it('impossible combinations throw an error naming them', () => {
    assert.throws(() => buildClassifier({ cell: 'gru', kind: 'fused' }), /model kind "fused" is an LSTM implementation; cell "gru"/);
    assert.throws(() => buildClassifier({ cell: 'simple-rnn', kind: 'seed' }), /model kind "seed" is an LSTM implementation/);
    assert.throws(() => buildClassifier({ kind: 'seed', layers: 2 }), /"seed" .* is one layer in one direction/);
    assert.throws(() => buildClassifier({ kind: 'seed', bidirectional: true }), /one layer in one direction/);
    assert.throws(() => buildClassifier({ layers: 0 }), /layers must be a whole number >= 1, got 0/);
    assert.throws(() => buildClassifier({ cell: 'rnn' as never }), /unknown cell "rnn"/);
  });

  it('a one-layer LSTM family is exactly buildLayersModel (same weights as before families existed)', () => {
    for (const fused of [false, true]) {
      const family = buildFamilyModel({ cell: 'lstm', fused, units: UNITS, seed: 9 });
      const reference = buildLayersModel({ fused, units: UNITS, seed: 9 });
      assert.deepEqual(family.getWeights().map((w) => w.dataSync()), reference.getWeights().map((w) => w.dataSync()));
      family.dispose();
      reference.dispose();
    }
  });

  it('training steps leak no tensors (gru, simple-rnn, stacked bidirectional fused LSTM)', () => {
    const x = input(4, 2);
    const ys = tf.oneHot(tf.tensor1d([1, 2, 3, 4], 'int32'), 10) as tf.Tensor2D;
    for (const options of [{ cell: 'gru' }, { cell: 'simple-rnn' }, { cell: 'lstm', layers: 2, bidirectional: true }] as const) {
      const model = buildClassifier({ ...options, units: UNITS, seed: 1 });
      const optimizer = tf.train.adam(0.01);
      trainStep(model, optimizer, x, ys); // Adam makes its slot variables on the first step
      const after1 = tf.memory().numTensors;
      for (let k = 0; k < 3; k++) trainStep(model, optimizer, x, ys);
      assert.equal(tf.memory().numTensors, after1, `${JSON.stringify(options)}: tensors grew across steps`);
      optimizer.dispose();
      model.dispose();
    }
    tf.dispose([x, ys]);
  });
});

describe('bidirectional and stacked models against references', () => {
  it('a 2-layer bidirectional GRU equals tf.layers.bidirectional(gru) layers with the same weights', () => {
    const family = buildFamilyModel({ cell: 'gru', layers: 2, bidirectional: true, units: UNITS, seed: 3 });
    const gru = (returnSequences: boolean): tf.layers.Layer => tf.layers.gru({ units: UNITS, recurrentActivation: 'sigmoid', returnSequences });
    const reference = tf.sequential();
    reference.add(tf.layers.bidirectional({ layer: gru(true) as tf.RNN, mergeMode: 'concat', inputShape: [28, 28] }));
    reference.add(tf.layers.bidirectional({ layer: gru(false) as tf.RNN, mergeMode: 'concat' }));
    reference.add(tf.layers.dense({ units: 10 }));
    const w = (name: string): tf.Tensor[] => family.getLayer(name).getWeights();
    reference.layers[0]?.setWeights([...w('gru'), ...w('gru_backward')]);
    reference.layers[1]?.setWeights([...w('gru_2'), ...w('gru_2_backward')]);
    reference.layers[2]?.setWeights(w('logits'));
    const x = input(5, 4);
    const [a, b] = [family.predict(x) as tf.Tensor, reference.predict(x) as tf.Tensor];
    assert.ok(maxAbsDiff(a, b) < 1e-5, `differs by ${maxAbsDiff(a, b)}`);
    tf.dispose([x, a, b]);
    family.dispose();
    reference.dispose();
  });

  it('fused and stock LSTM start from the same weights and agree, stacked and bidirectional', () => {
    const fused = buildClassifier({ kind: 'fused', layers: 2, bidirectional: true, units: UNITS, seed: 7 });
    const stock = buildClassifier({ kind: 'layers', layers: 2, bidirectional: true, units: UNITS, seed: 7 });
    assert.deepEqual(weightsOf(fused), weightsOf(stock));
    const x = input(6, 5);
    const [a, b] = [fused.predict(x), stock.predict(x)];
    assert.ok(maxAbsDiff(a, b) < 1e-5, `differs by ${maxAbsDiff(a, b)}`);
    tf.dispose([x, a, b]);
    fused.dispose();
    stock.dispose();
  });

  it('every LSTM layer starts with its forget-gate bias at 1, other biases at 0', () => {
    const model = buildFamilyModel({ cell: 'lstm', layers: 2, bidirectional: true, units: UNITS, seed: 1 });
    for (const name of ['lstm', 'lstm_backward', 'lstm_2', 'lstm_2_backward']) {
      const bias = Array.from(model.getLayer(name).getWeights()[2]?.dataSync() ?? []);
      assert.deepEqual(bias, [...Array(UNITS).fill(0), ...Array(UNITS).fill(1), ...Array(2 * UNITS).fill(0)], name);
    }
    model.dispose();
  });
});
});
