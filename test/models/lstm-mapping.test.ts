import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../src/backend';
import { buildLayersModel, layersClassifier, BasicLstmClassifier, basicToLayersWeights } from '../../src/models';
import { maxAbsDifference } from '../../src/teach/gradcheck';
import { assignBasicWeights, layersToBasicWeights, basicLstmFromLayers } from '../../src/models/lstm-mapping';

before(async () => {
  await setupBackend({ backend: 'cpu' });
});

for (const [batch, steps, input, units, forgetBias] of [
  [3, 28, 28, 8, 1],
  [2, 5, 3, 4, 0.5],
  [1, 2, 2, 1, 0],
] as const) {
  test(`a seed cell made from tf.layers weights computes the layers model's logits (${steps} steps, ${input} inputs, ${units} units, forget bias ${forgetBias})`, () => {
    const layers = buildLayersModel({ timeSteps: steps, inputSize: input, units, seed: 2 });
    // Random biases exercise every gate's slice of the mapping.
    const weights = layers.getWeights();
    const bias = tf.randomNormal([4 * units], 0, 0.5, 'float32', 3);
    layers.setWeights([
      weights[0] as tf.Tensor,
      weights[1] as tf.Tensor,
      bias,
      weights[3] as tf.Tensor,
      weights[4] as tf.Tensor,
    ]);
    const seed = basicLstmFromLayers(layers.getWeights(), { forgetBias, timeSteps: steps });
    assert.deepEqual(seed.kernel.shape, [input + units, 4 * units]);
    const xs = tf.randomUniform([batch, steps, input], 0, 1, 'float32', 4) as tf.Tensor3D;
    const a = layersClassifier(layers).predict(xs);
    const b = seed.predict(xs);
    assert.ok(maxAbsDifference([a], [b]) < 1e-5, `max diff ${maxAbsDifference([a], [b])}`);
    tf.dispose([a, b, xs, bias]);
    seed.dispose();
    layers.dispose();
  });
}

test('layersToBasicWeights inverts basicToLayersWeights exactly (round trip seed → layers → seed)', () => {
  const seed = new BasicLstmClassifier({ inputSize: 5, units: 6, numClasses: 3, forgetBias: 1, seed: 7 });
  seed.bias.assign(tf.randomNormal([24], 0, 1, 'float32', 8));
  const layersWeights = basicToLayersWeights(seed);
  const back = layersToBasicWeights(layersWeights, 1);
  const diff = maxAbsDifference([back.kernel, back.bias, back.weightsOut, back.biasesOut], seed.variables);
  assert.ok(diff < 1e-6, `round trip differs by ${diff}`);
  // The gate blocks really move: kernel column blocks i, j, f, o come from layers blocks i, c, f, o.
  const units = 6;
  const jFromSeed = tf.tidy(() => tf.slice(seed.kernel, [0, units], [5, units]));
  const cFromLayers = tf.tidy(() => tf.slice(layersWeights[0] as tf.Tensor2D, [0, 2 * units], [5, units]));
  assert.equal(maxAbsDifference([jFromSeed], [cFromLayers]), 0);
  tf.dispose([layersWeights, back.kernel, back.bias, back.weightsOut, back.biasesOut, jFromSeed, cFromLayers]);
  seed.dispose();
});

test('the forget bias moves between the seed bias and the layers bias', () => {
  const units = 2;
  // kernel [1, 8], recurrent [2, 8], bias [8] (i, f, c, o), dense [2, 1], [1]
  const bias = tf.tensor1d([0, 0, 2, 2, 0, 0, 0, 0]);
  const w = layersToBasicWeights(
    [tf.zeros([1, 4 * units]), tf.zeros([units, 4 * units]), bias, tf.zeros([units, 1]), tf.zeros([1])],
    1.5,
  );
  // Seed order i, j, f, o: the forget block is third and loses the 1.5 the seed cell adds back.
  assert.deepEqual(Array.from(w.bias.dataSync()), [0, 0, 0, 0, 0.5, 0.5, 0, 0]);
  tf.dispose([bias, w.kernel, w.bias, w.weightsOut, w.biasesOut]);
});

test('layersToBasicWeights and assignBasicWeights reject what does not fit', () => {
  assert.throws(() => layersToBasicWeights([tf.zeros([1, 4])], 1), /expected 5 tensors/);
  assert.throws(
    () => layersToBasicWeights([tf.zeros([1, 8]), tf.zeros([2, 8]), tf.zeros([7]), tf.zeros([2, 1]), tf.zeros([1])], 1),
    /shapes do not fit/,
  );
  const model = new BasicLstmClassifier({ inputSize: 2, units: 2, numClasses: 3 });
  const before = Array.from(model.kernel.dataSync());
  const wrong = {
    kernel: tf.zeros([4, 8]) as tf.Tensor2D,
    bias: tf.zeros([8]) as tf.Tensor1D,
    weightsOut: tf.zeros([2, 4]) as tf.Tensor2D,
    biasesOut: tf.zeros([4]) as tf.Tensor1D,
  };
  assert.throws(() => assignBasicWeights(model, wrong), /has shape \[2,3\], the weights \[2,4\]/);
  assert.deepEqual(Array.from(model.kernel.dataSync()), before, 'nothing assigned on a mismatch');
  tf.dispose([wrong.kernel, wrong.bias, wrong.weightsOut, wrong.biasesOut]);
  model.dispose();
});
