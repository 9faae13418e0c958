/**
 * The one builder, on every backend: every cell / depth / direction maps [batch, 28, 28] to
 * logits [batch, 10], is seeded, leaks no tensors when built, disposed or trained. Against
 * references: the initial weights and logits of a model saved by this package 0.1 (a known file);
 * each recurrent layer's initial weights equal a stock layer's built by tfjs from the same seeded
 * initialisers; bidirectional layers compute forward(x) ++ backward(reverse(x)) written out with
 * separate stock layers; the fused and stock LSTM agree stacked and bidirectional.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildClassifier, buildLayersModel, isLayersClassifier, modelName, type Classifier } from '../../src/models';
import { CELL_TYPES } from '../../src/settings';
import { trainStep } from '../../src/train';
import { describeOnBackends } from '../backends';

const UNITS = 8;
const FIXTURE = path.join(__dirname, '..', 'fixtures', 'saved-0.1');

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

/** The weights stored in the 0.1 fixture, by name. */
function fixtureWeights(): Record<string, tf.Tensor> {
  const json = JSON.parse(readFileSync(path.join(FIXTURE, 'model', 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const bytes = readFileSync(path.join(FIXTURE, 'model', 'weights.bin'));
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  return tf.io.decodeWeights(new Uint8Array(bytes).buffer, specs);
}

describeOnBackends('the model builder', () => {
  describe('shapes, seeds and memory', () => {
    for (const cell of CELL_TYPES) {
      for (const layers of [1, 2]) {
        for (const bidirectional of [false, true]) {
          test(`${cell}, ${layers} layer(s)${bidirectional ? ', bidirectional' : ''}: logits [batch, 10], seeded, no leaks`, () => {
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
            if (bidirectional)
              assert.notDeepEqual(weightsOf(a)[0], weightsOf(a)[3], 'the backward direction has weights of its own');
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

    test('the default kind is fused for lstm and layers for gru and simple-rnn, and names say which', () => {
      const made = [
        buildClassifier({ units: UNITS }),
        buildClassifier({ kind: 'layers', units: UNITS }),
        buildClassifier({ cell: 'gru', layers: 2, bidirectional: true, units: UNITS }),
        buildClassifier({ kind: 'basic', units: UNITS }),
      ];
      assert.deepEqual(
        made.map((c) => c.name),
        ['fused LSTM', 'tf.layers.lstm', '2 x tf.layers.gru, bidirectional', 'TF1 BasicLSTMCell'],
      );
      assert.deepEqual(
        made.map((c) => c.name),
        [
          modelName({}),
          modelName({ kind: 'layers' }),
          modelName({ cell: 'gru', layers: 2, bidirectional: true }),
          modelName({ kind: 'basic' }),
        ],
      );
      assert.deepEqual(made.map(isLayersClassifier), [true, true, true, false]);
      made.forEach((c) => c.dispose());
    });

    test('impossible combinations throw an error naming them', () => {
      assert.throws(
        () => buildClassifier({ cell: 'gru', kind: 'fused' }),
        /kind "fused" is an LSTM implementation; cell "gru"/,
      );
      assert.throws(
        () => buildClassifier({ kind: 'basic', layers: 2 }),
        /kind "basic" .* is one layer in one direction/,
      );
      assert.throws(() => buildLayersModel({ kind: 'basic' }), /not a tf.layers model/);
    });

    test('training steps leak no tensors (gru, simple-rnn, stacked bidirectional fused LSTM)', () => {
      const x = input(4, 2);
      const ys = tf.oneHot(tf.tensor1d([1, 2, 3, 4], 'int32'), 10) as tf.Tensor2D;
      for (const options of [
        { cell: 'gru' },
        { cell: 'simple-rnn' },
        { cell: 'lstm', layers: 2, bidirectional: true },
      ] as const) {
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

  describe('against references', () => {
    test("init tutorial: the fused and stock LSTM models start computing the BasicLSTMCell model's logits of the same seed", () => {
      const x = input(4, 9);
      const basic = buildClassifier({ kind: 'basic', units: UNITS, seed: 7 });
      const expected = basic.predict(x);
      for (const kind of ['fused', 'layers'] as const) {
        const model = buildClassifier({ kind, init: 'tutorial', units: UNITS, seed: 7 });
        const logits = model.predict(x);
        const diff = maxAbsDiff(logits, expected);
        assert.ok(diff < 1e-5, `${kind}: logits differ from the BasicLSTMCell model's by ${diff}`);
        // The output layer is the tutorial's N(0, 1) weights.out and biases.out, not a glorot layer.
        assert.equal(
          maxAbsDiff(model.variables[3] as tf.Tensor, basic.variables[2] as tf.Tensor),
          0,
          `${kind}: weights.out`,
        );
        assert.equal(
          maxAbsDiff(model.variables[4] as tf.Tensor, basic.variables[3] as tf.Tensor),
          0,
          `${kind}: biases.out`,
        );
        const keras = buildClassifier({ kind, init: 'keras', units: UNITS, seed: 7 });
        const kerasLogits = keras.predict(x);
        assert.ok(maxAbsDiff(kerasLogits, expected) > 1e-2, `${kind}: init keras starts elsewhere`);
        tf.dispose([logits, kerasLogits]);
        model.dispose();
        keras.dispose();
      }
      tf.dispose([x, expected]);
      basic.dispose();
    });

    test('the initial weights and logits of the same settings saved by version 0.1 (a known file)', () => {
      const expected = JSON.parse(readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8')) as { logits: number[] };
      const stored = fixtureWeights();
      const model = buildClassifier({ kind: 'fused', layers: 2, bidirectional: true, units: 3, seed: 5 }); // init keras, as 0.1's
      // 0.1's layer names, in today's order: forward, backward, per layer, then the dense layer.
      const names = ['lstm', 'lstm_backward', 'lstm_2', 'lstm_2_backward']
        .flatMap((l) => ['kernel', 'recurrent_kernel', 'bias'].map((w) => `${l}/${w}`))
        .concat(['logits/kernel', 'logits/bias']);
      model.variables.forEach((v, k) => {
        const old = stored[names[k] as string] as tf.Tensor;
        // Exact on cpu, where the fixture was made; the orthogonal initialiser's QR rounds a little
        // differently on other backends.
        assert.ok(maxAbsDiff(v, old) <= 1e-6, `${names[k]}: the initial values 0.1 drew, up to ${maxAbsDiff(v, old)}`);
      });
      const x = tf.randomUniform([2, 28, 28], 0, 1, 'float32', 42) as tf.Tensor3D;
      const logits = model.predict(x);
      const diff = maxAbsDiff(logits, tf.tensor2d(expected.logits, [2, 10]));
      assert.ok(diff < 1e-5, `logits differ from 0.1's by ${diff}`);
      tf.dispose([x, logits, ...Object.values(stored)]);
      model.dispose();
    });

    test("each recurrent layer's initial weights are those tfjs draws for a stock layer with the same seeded initialisers", () => {
      for (const cell of CELL_TYPES) {
        const model = buildClassifier({ cell, kind: 'layers', layers: 2, bidirectional: true, units: UNITS, seed: 11 });
        const seeds = [11, 15, 17, 19]; // seed, then seed + 2 + 2j for recurrent layer j = 1, 2, 3
        seeds.forEach((seed, j) => {
          const args = {
            units: UNITS,
            kernelInitializer: tf.initializers.glorotUniform({ seed }),
            recurrentInitializer: tf.initializers.orthogonal({ seed: seed + 1 }),
          };
          const stock =
            cell === 'gru'
              ? tf.layers.gru(args)
              : cell === 'simple-rnn'
                ? tf.layers.simpleRNN(args)
                : tf.layers.lstm(args);
          stock.apply(tf.input({ shape: [28, j < 2 ? 28 : 2 * UNITS] }));
          const [k, r] = stock.getWeights();
          assert.equal(maxAbsDiff(model.variables[3 * j] as tf.Tensor, k as tf.Tensor), 0, `${cell} layer ${j} kernel`);
          assert.equal(
            maxAbsDiff(model.variables[3 * j + 1] as tf.Tensor, r as tf.Tensor),
            0,
            `${cell} layer ${j} recurrent kernel`,
          );
          stock.dispose();
        });
        model.dispose();
      }
    });

    test('a bidirectional layer computes forward(x) ++ backward(x read last row first), with separate stock layers', () => {
      for (const cell of CELL_TYPES) {
        const model = buildClassifier({ cell, kind: 'layers', layers: 2, bidirectional: true, units: UNITS, seed: 3 });
        const w = model.variables;
        const layer = (k: number, returnSequences: boolean, inputDim: number): tf.layers.Layer => {
          const args = { units: UNITS, returnSequences, recurrentActivation: 'sigmoid' as const };
          const l =
            cell === 'gru'
              ? tf.layers.gru(args)
              : cell === 'simple-rnn'
                ? tf.layers.simpleRNN({ units: UNITS, returnSequences })
                : tf.layers.lstm(args);
          l.apply(tf.input({ shape: [28, inputDim] }));
          l.setWeights([w[k], w[k + 1], w[k + 2]] as tf.Tensor[]);
          return l;
        };
        const [f1, b1, f2, b2] = [
          layer(0, true, 28),
          layer(3, true, 28),
          layer(6, false, 2 * UNITS),
          layer(9, false, 2 * UNITS),
        ];
        const dense = tf.layers.dense({ units: 10 });
        dense.apply(tf.input({ shape: [2 * UNITS] }));
        dense.setWeights([w[12], w[13]] as tf.Tensor[]);
        const x = input(5, 4);
        const expected = tf.tidy(() => {
          const run = (l: tf.layers.Layer, t: tf.Tensor): tf.Tensor => l.apply(t) as tf.Tensor;
          // Step t of the backward sequence read row 27 - t: flipped back so both halves align in time.
          const h1 = tf.concat([run(f1, x), tf.reverse(run(b1, tf.reverse(x, 1)), 1)], 2);
          const h2 = tf.concat([run(f2, h1), run(b2, tf.reverse(h1, 1))], 1);
          return run(dense, h2);
        });
        const actual = model.predict(x);
        assert.ok(maxAbsDiff(actual, expected) < 1e-5, `${cell}: differs by ${maxAbsDiff(actual, expected)}`);
        tf.dispose([x, expected, actual]);
        for (const l of [f1, b1, f2, b2, dense]) l.dispose();
        model.dispose();
      }
    });

    test('fused and stock LSTM start from the same weights and agree, stacked and bidirectional', () => {
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

    test('every LSTM layer starts with its forget-gate bias at forgetBias, other biases at 0', () => {
      for (const forgetBias of [1, 0.5]) {
        const model = buildClassifier({
          cell: 'lstm',
          layers: 2,
          bidirectional: true,
          units: UNITS,
          seed: 1,
          forgetBias,
        });
        for (const k of [2, 5, 8, 11]) {
          const bias = Array.from(model.variables[k]?.dataSync() ?? []);
          assert.deepEqual(
            bias,
            [...Array(UNITS).fill(0), ...Array(UNITS).fill(forgetBias), ...Array(2 * UNITS).fill(0)],
            `variable ${k}`,
          );
        }
        model.dispose();
      }
    });
  });
});
