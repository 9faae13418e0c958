/**
 * From `tf.layers.lstm` + dense weights back to the seed's BasicLSTMCell variables: the inverse of
 * `seedToLayersWeights` (src/models/layers-lstm.ts). With it a model trained the TF.js way can be
 * opened up with the seed's cell, gate by gate (notebook 9).
 *
 * The two layouts (notebook 7 derives them):
 *  - seed:   kernel [inputSize + units, 4u] for [x, h] concatenated, gates i, j, f, o; bias [4u];
 *            forget_bias added inside the forget sigmoid at every step.
 *  - layers: kernel [inputSize, 4u], recurrentKernel [u, 4u], bias [4u], gates i, f, c (= j), o;
 *            no forget_bias term, so the forget bias carries it.
 */
import * as tf from '@tensorflow/tfjs';
import { SeedLstm } from '../models';

/** The seed model's four variables as plain tensors. */
export interface SeedWeights {
  /** `[inputSize + units, 4 * units]`, gates i, j, f, o. */
  readonly kernel: tf.Tensor2D;
  /** `[4 * units]`, gates i, j, f, o, without the forget bias. */
  readonly bias: tf.Tensor1D;
  /** `[units, numClasses]`. */
  readonly weightsOut: tf.Tensor2D;
  /** `[numClasses]`. */
  readonly biasesOut: tf.Tensor1D;
}

/** Reorders the last axis from tf.layers' gate order i, f, c, o to BasicLSTMCell's i, j(=c), f, o. */
function ifcoToIjfo<T extends tf.Tensor>(t: T): T {
  return tf.tidy(() => {
    const [i, f, c, o] = tf.split(t, 4, t.rank - 1);
    return tf.concat([i as T, c as T, f as T, o as T], t.rank - 1) as T;
  });
}

/**
 * `[lstm kernel [in, 4u], recurrentKernel [u, 4u], bias [4u], dense kernel [u, classes], dense bias [classes]]`
 * (what `buildLayersModel(...).getWeights()` returns) as the seed's variables, for a cell that adds
 * `forgetBias` at every step. The caller disposes the result.
 */
export function layersToSeedWeights(weights: readonly tf.Tensor[], forgetBias: number): SeedWeights {
  const [kernel, recurrentKernel, bias, denseKernel, denseBias] = weights;
  if (weights.length !== 5 || !kernel || !recurrentKernel || !bias || !denseKernel || !denseBias) {
    throw new Error(`layersToSeedWeights: expected 5 tensors (lstm kernel, recurrentKernel, bias, dense kernel, dense bias), got ${weights.length}`);
  }
  const units = recurrentKernel.shape[0] ?? 0;
  const fits =
    kernel.rank === 2 && kernel.shape[1] === 4 * units &&
    recurrentKernel.rank === 2 && recurrentKernel.shape[1] === 4 * units &&
    bias.rank === 1 && bias.shape[0] === 4 * units &&
    denseKernel.rank === 2 && denseKernel.shape[0] === units && denseBias.rank === 1 && denseBias.shape[0] === denseKernel.shape[1];
  if (!fits) {
    throw new Error(
      `layersToSeedWeights: shapes do not fit an LSTM + dense: [${kernel.shape}], [${recurrentKernel.shape}], [${bias.shape}], [${denseKernel.shape}], [${denseBias.shape}]`,
    );
  }
  return tf.tidy(() => {
    // The seed's cell adds forgetBias inside its sigmoid itself: take it out of the bias here.
    const forget = tf.concat([tf.zeros([units]), tf.fill([units], forgetBias), tf.zeros([2 * units])]); // i, f, c, o
    return {
      kernel: ifcoToIjfo(tf.concat([kernel, recurrentKernel], 0)) as tf.Tensor2D,
      bias: ifcoToIjfo(tf.sub(bias, forget)) as tf.Tensor1D,
      weightsOut: denseKernel.clone() as tf.Tensor2D,
      biasesOut: denseBias.clone() as tf.Tensor1D,
    };
  });
}

/** Copies `weights` into the variables of `model` (shapes must match). */
export function assignSeedWeights(model: SeedLstm, weights: SeedWeights): void {
  const pairs: [tf.Variable, tf.Tensor][] = [
    [model.kernel, weights.kernel],
    [model.bias, weights.bias],
    [model.weightsOut, weights.weightsOut],
    [model.biasesOut, weights.biasesOut],
  ];
  // Check all before assigning any, so a mismatch leaves the model as it was.
  for (const [variable, value] of pairs) {
    if (variable.shape.join(',') !== value.shape.join(',')) {
      throw new Error(`assignSeedWeights: variable ${variable.name} has shape [${variable.shape}], the weights [${value.shape}]`);
    }
  }
  for (const [variable, value] of pairs) variable.assign(value);
}

/**
 * A `SeedLstm` computing what a `buildLayersModel` model computes (its `getWeights()` given),
 * sizes read from the weights. Needs `recurrentActivation: 'sigmoid'` in the layers model, as
 * `buildLayersModel` sets it. The caller disposes the model.
 */
export function seedLstmFromLayers(weights: readonly tf.Tensor[], options: { readonly forgetBias?: number; readonly timeSteps?: number } = {}): SeedLstm {
  const forgetBias = options.forgetBias ?? 1;
  const seedWeights = layersToSeedWeights(weights, forgetBias);
  try {
    const [inputPlusUnits, fourUnits] = seedWeights.kernel.shape;
    const units = fourUnits / 4;
    const model = new SeedLstm({
      inputSize: inputPlusUnits - units,
      units,
      numClasses: seedWeights.weightsOut.shape[1],
      forgetBias,
      ...(options.timeSteps === undefined ? {} : { timeSteps: options.timeSteps }),
    });
    assignSeedWeights(model, seedWeights);
    return model;
  } finally {
    tf.dispose([seedWeights.kernel, seedWeights.bias, seedWeights.weightsOut, seedWeights.biasesOut]);
  }
}
