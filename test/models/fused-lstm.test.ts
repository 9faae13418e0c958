/**
 * The fused LSTM computes what `tf.layers.lstm({recurrentActivation: 'sigmoid'})` computes, with
 * the same weights: outputs, gradients (input and weights) and a few Adam steps, on cpu, on wasm
 * with the kernel fixes and on tensorflow, where the layer runs libtensorflow's LSTM kernels
 * (src/kernels/native/lstm-sequence.ts); it saves and loads, and leaks no tensors.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../src/backend';
import { patchWasmKernels } from '../../src/kernels/wasm';
import { FusedLstm, fusedLstm } from '../../src/models/fused-lstm';
import { nativeLstmAvailable } from '../../src/kernels/native/lstm-sequence';
import { describeOnBackends } from '../backends';

const TOLERANCE = 1e-4;

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] ?? Infinity);
}

function assertTensorsClose(actual: readonly tf.Tensor[], expected: readonly tf.Tensor[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: count`);
  actual.forEach((a, i) => {
    const e = expected[i] as tf.Tensor;
    const d = maxAbsDiff(a, e);
    assert.ok(d <= TOLERANCE, `${what} #${i}: differs by ${d}`);
  });
}

/** A reference layer and a fused layer for [batch, steps, inputDim] inputs, with the same weights. */
function layerPair(
  steps: number,
  inputDim: number,
  units: number,
  returnSequences: boolean,
  seed: number,
  goBackwards = false,
): { reference: tf.layers.Layer; fused: FusedLstm } {
  const inputShape = [steps, inputDim];
  const reference = tf.layers.lstm({
    units,
    returnSequences,
    goBackwards,
    recurrentActivation: 'sigmoid',
    inputShape,
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
    // A non-zero bias, so that a wrong gate order or scaling would show.
    biasInitializer: tf.initializers.randomNormal({ seed: seed + 2, stddev: 0.5 }),
  });
  const fused = fusedLstm({ units, returnSequences, goBackwards, inputShape });
  // Applying builds the weights (tf.layers.lstm cannot be built twice).
  tf.tidy(() => {
    const x = tf.zeros([1, steps, inputDim]);
    reference.apply(x);
    fused.apply(x);
  });
  fused.setWeights(reference.getWeights());
  return { reference, fused };
}

/** Output of `layer` on `x`, gradients of sum(output · dy) w.r.t. x and the layer's weights. */
function outputAndGradients(layer: tf.layers.Layer, x: tf.Tensor, dy: tf.Tensor): tf.Tensor[] {
  const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, dy));
  const y = layer.apply(x) as tf.Tensor;
  const dx = tf.grad(loss)(x);
  const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => loss(x), variables);
  value.dispose();
  return [y, dx, ...variables.map((v) => grads[v.name] as tf.Tensor)];
}

/** The seed's model shape, small: [steps, inputDim] -> LSTM(units) -> dense(10). */
function seedLikeModel(layer: tf.layers.Layer, seed: number): tf.Sequential {
  const model = tf.sequential();
  model.add(layer);
  model.add(tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
  return model;
}

function trainSteps(model: tf.Sequential, xs: tf.Tensor, ys: tf.Tensor, steps: number): number[] {
  const optimizer = tf.train.adam(0.001);
  const tensorCounts: number[] = [];
  for (let s = 0; s < steps; s++) {
    const cost = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor),
      true,
    );
    cost?.dispose();
    tensorCounts.push(tf.memory().numTensors);
  }
  optimizer.dispose();
  return tensorCounts;
}

describeOnBackends('fused LSTM', (backend) => {
  before(() => {
    if (backend === 'wasm') patchWasmKernels();
  });

  test(`computes with ${backend === 'tensorflow' ? "libtensorflow's LSTM kernels" : 'tfjs ops'} here`, () => {
    assert.equal(nativeLstmAvailable(), backend === 'tensorflow');
  });

  // [batch, steps, inputDim, units]
  const shapes: [number, number, number, number][] = [
    [1, 2, 3, 2],
    [3, 5, 4, 6],
    [2, 9, 1, 5],
    [5, 28, 28, 8],
  ];
  for (const [batch, steps, inputDim, units] of shapes) {
    for (const returnSequences of [false, true]) {
      test(`matches tf.layers.lstm: batch ${batch}, ${steps} steps, ${inputDim} features, ${units} units, returnSequences ${returnSequences}`, () => {
        const seed = batch * 1000 + steps * 10 + units;
        const { reference, fused } = layerPair(steps, inputDim, units, returnSequences, seed);
        const before = tf.memory().numTensors;
        tf.tidy(() => {
          const x = tf.randomNormal([batch, steps, inputDim], 0, 1, 'float32', seed);
          const dy = tf.randomNormal(
            returnSequences ? [batch, steps, units] : [batch, units],
            0,
            1,
            'float32',
            seed + 1,
          );
          assertTensorsClose(
            outputAndGradients(fused, x, dy),
            outputAndGradients(reference, x, dy),
            'output, dx, dKernel, dRecurrent, dBias',
          );
        });
        assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
        reference.dispose();
        fused.dispose();
      });
    }
  }

  for (const returnSequences of [false, true]) {
    test(`goBackwards: matches tf.layers.lstm reading the rows last to first, returnSequences ${returnSequences}`, () => {
      const [batch, steps, inputDim, units] = [3, 6, 4, 5];
      const { reference, fused } = layerPair(steps, inputDim, units, returnSequences, 31, true);
      tf.tidy(() => {
        const x = tf.randomNormal([batch, steps, inputDim], 0, 1, 'float32', 32);
        const dy = tf.randomNormal(returnSequences ? [batch, steps, units] : [batch, units], 0, 1, 'float32', 33);
        assertTensorsClose(
          outputAndGradients(fused, x, dy),
          outputAndGradients(reference, x, dy),
          'output, dx, dKernel, dRecurrent, dBias',
        );
        // Not the forward reading: the comparison above would pass for a layer that ignored goBackwards only if x were symmetric.
        const forward = layerPair(steps, inputDim, units, returnSequences, 31, false).fused;
        assert.ok(
          maxAbsDiff(forward.apply(x) as tf.Tensor, fused.apply(x) as tf.Tensor) > 1e-3,
          'reading backwards changes the output',
        );
        forward.dispose();
      });
      assert.equal(
        new FusedLstm(fused.getConfig() as unknown as ConstructorParameters<typeof FusedLstm>[0]).goBackwards,
        true,
        'goBackwards survives the config',
      );
      reference.dispose();
      fused.dispose();
    });
  }

  test('trains like tf.layers.lstm: same parameters after a few Adam steps, no tensor growth', () => {
    const [batch, steps, inputDim, units] = [8, 28, 28, 16];
    const { reference, fused } = layerPair(steps, inputDim, units, false, 7);
    const referenceModel = seedLikeModel(reference, 11);
    const fusedModel = seedLikeModel(fused, 11);
    fusedModel.setWeights(referenceModel.getWeights());
    const xs = tf.randomUniform([batch, steps, inputDim], 0, 1, 'float32', 3);
    const ys = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10));

    const initial = fusedModel.getWeights().map((w) => w.clone());
    trainSteps(referenceModel, xs, ys, 4);
    const counts = trainSteps(fusedModel, xs, ys, 4);
    assert.ok(
      counts.every((c) => c === counts[0]),
      `numTensors stable across steps: ${counts.join(', ')}`,
    );
    const trained = fusedModel.getWeights();
    const expected = referenceModel.getWeights();
    assertTensorsClose(trained, expected, 'weights after 4 Adam steps');
    // The steps moved every weight by more than the tolerance (the comparison is not vacuous).
    trained.forEach((w, i) => assert.ok(maxAbsDiff(w, initial[i] as tf.Tensor) > 10 * TOLERANCE, `weight ${i} moved`));
    tf.dispose([xs, ys, ...initial]);
    referenceModel.dispose();
    fusedModel.dispose();
  });

  // The input gradient is computed only when backprop reaches the input: here a dense layer
  // before the LSTM is trained too, so it is needed.
  test('trains a layer before it like tf.layers.lstm does', () => {
    const [batch, steps, inputDim, units] = [4, 6, 5, 7];
    const build = (lstm: tf.layers.Layer): tf.Sequential => {
      const model = tf.sequential();
      model.add(
        tf.layers.dense({
          units: inputDim,
          inputShape: [steps, 3],
          kernelInitializer: tf.initializers.glorotUniform({ seed: 21 }),
        }),
      );
      model.add(lstm);
      model.add(tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: 22 }) }));
      return model;
    };
    const { reference, fused } = layerPair(steps, inputDim, units, false, 23);
    const referenceModel = build(reference);
    const fusedModel = build(fused);
    fusedModel.setWeights(referenceModel.getWeights());
    const xs = tf.randomUniform([batch, steps, 3], 0, 1, 'float32', 24);
    const ys = tf.tidy(() => tf.oneHot(tf.tensor1d([1, 3, 5, 7], 'int32'), 10));
    trainSteps(referenceModel, xs, ys, 3);
    const counts = trainSteps(fusedModel, xs, ys, 3);
    assert.ok(
      counts.every((c) => c === counts[0]),
      `numTensors stable across steps: ${counts.join(', ')}`,
    );
    assertTensorsClose(
      fusedModel.getWeights(),
      referenceModel.getWeights(),
      'weights (first dense included) after 3 Adam steps',
    );
    tf.dispose([xs, ys]);
    referenceModel.dispose();
    fusedModel.dispose();
  });

  test('saves and loads in a Sequential model with the same predictions', async () => {
    const model = seedLikeModel(
      fusedLstm({ units: 6, inputShape: [5, 4], unitForgetBias: true, kernelInitializer: 'glorotUniform' }),
      5,
    );
    const x = tf.randomNormal([3, 5, 4], 0, 1, 'float32', 9);
    const expected = model.predict(x) as tf.Tensor;
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    if (artifacts === undefined) throw new Error('nothing saved');
    assert.match(JSON.stringify(artifacts.modelTopology), /FusedLstm/);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    assert.ok(loaded.layers[0] instanceof FusedLstm);
    const actual = loaded.predict(x) as tf.Tensor;
    assert.ok(maxAbsDiff(actual, expected) <= 1e-6);
    tf.dispose([x, expected, actual]);
    model.dispose();
    loaded.dispose();
  });
});

describe('fused LSTM layer options', () => {
  before(async () => {
    await setupBackend({ backend: 'cpu' });
  });

  test('builds the same initial weights as tf.layers.lstm from the same seeded initializers', () => {
    const init = (seed: number) => ({
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      recurrentInitializer: tf.initializers.orthogonal({ seed: seed + 1 }),
      biasInitializer: tf.initializers.randomUniform({ seed: seed + 2, minval: -0.1, maxval: 0.1 }),
    });
    for (const unitForgetBias of [false, true]) {
      const reference = tf.layers.lstm({ units: 8, recurrentActivation: 'sigmoid', unitForgetBias, ...init(3) });
      const fused = fusedLstm({ units: 8, unitForgetBias, ...init(3) });
      reference.apply(tf.input({ shape: [4, 5] }));
      const before = tf.memory().numTensors;
      fused.apply(tf.input({ shape: [4, 5] }));
      assert.equal(tf.memory().numTensors, before + 3, 'building adds exactly the three weights');
      const weights = fused.getWeights();
      assert.deepEqual(
        weights.map((w) => w.shape),
        [[5, 32], [8, 32], [32]],
      );
      assertTensorsClose(weights, reference.getWeights(), `initial weights, unitForgetBias ${unitForgetBias}`);
      if (unitForgetBias)
        assert.deepEqual(Array.from((weights[2] as tf.Tensor).dataSync().slice(8, 16)), new Array(8).fill(1));
      reference.dispose();
      fused.dispose();
    }
  });

  test('accepts initializer identifiers, objects and serialised forms, and round-trips its config', () => {
    const layer = fusedLstm({
      units: 3,
      returnSequences: true,
      name: 'rnn',
      kernelInitializer: 'glorot_uniform',
      recurrentInitializer: tf.initializers.orthogonal({ seed: 1, gain: 2 }),
      biasInitializer: { className: 'Constant', config: { value: 0.25 } },
      inputShape: [7, 2],
    });
    // tfjs serialises GlorotUniform as Keras does, as the VarianceScaling it is.
    assert.equal(layer.kernelInitializer.getClassName(), 'VarianceScaling');
    assert.equal(layer.biasInitializer.getClassName(), 'Constant');
    const config = layer.getConfig();
    assert.equal(config['units'], 3);
    assert.equal(config['returnSequences'], true);
    assert.equal(config['recurrentActivation'], 'sigmoid');
    assert.deepEqual(config['recurrentInitializer'], { className: 'Orthogonal', config: { gain: 2, seed: 1 } });
    const copy = new FusedLstm(config as unknown as ConstructorParameters<typeof FusedLstm>[0]);
    assert.deepEqual(copy.getConfig(), config);
    assert.deepEqual(layer.computeOutputShape([null, 7, 2]), [null, 7, 3]);
    layer.apply(tf.input({ shape: [7, 2] }));
    assert.ok((layer.getWeights()[2] as tf.Tensor).dataSync().every((v) => Math.abs(v - 0.25) < 1e-7));
    layer.dispose();
  });

  test('rejects what it does not implement', () => {
    assert.throws(() => fusedLstm({ units: 0 }), /units must be a positive integer/);
    // Runtime values from JavaScript or a config file, outside the TypeScript types.
    const args = (extra: Record<string, unknown>) =>
      ({ units: 2, ...extra }) as unknown as Parameters<typeof fusedLstm>[0];
    assert.throws(() => fusedLstm(args({ activation: 'relu' })), /activation "relu" is not implemented/);
    assert.throws(() => fusedLstm(args({ recurrentActivation: 'hardSigmoid' })), /recurrentActivation "hardSigmoid"/);
    assert.throws(
      () => fusedLstm(args({ kernelInitializer: 'noSuchInitializer' })),
      /unknown kernelInitializer "NoSuchInitializer"/,
    );
    assert.throws(() => fusedLstm(args({ dropout: 0.2 })), /option dropout is not implemented/);
    assert.throws(() => fusedLstm(args({ returnState: true })), /option returnState is not implemented/);
    assert.throws(() => fusedLstm(args({ stateful: true })), /option stateful is not implemented/);
    assert.throws(() => fusedLstm(args({ useBias: false })), /useBias: false/);
    assert.doesNotThrow(() => fusedLstm(args({ dropout: 0, goBackwards: true })));
    const x = tf.zeros([2, 3]);
    assert.throws(() => fusedLstm({ units: 2 }).apply(x), /expected input shape \[batch, steps, features\]/);
    x.dispose();
  });
});
