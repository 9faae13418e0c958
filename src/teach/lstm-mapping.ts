/**
 * From `tf.layers.lstm` + dense weights back to the tutorial's BasicLSTMCell variables: the inverse of
 * `basicToLayersWeights` (src/models/basic-lstm.ts). With it a model trained the TF.js way can be
 * opened up with the BasicLSTMCell, gate by gate (notebook 9).
 *
 * The two layouts (notebook 7 derives them):
 *  - basic:  kernel [inputSize + units, 4u] for [x, h] concatenated, gates i, j, f, o; bias [4u];
 *            forget_bias added inside the forget sigmoid at every step.
 *  - layers: kernel [inputSize, 4u], recurrentKernel [u, 4u], bias [4u], gates i, f, c (= j), o;
 *            no forget_bias term, so the forget bias carries it.
 */
import * as tf from '@tensorflow/tfjs';
import { BasicLstmClassifier } from '../models';
import { MODEL_DEFAULTS } from '../settings';

/** The basic model's four variables as plain tensors. */
export interface BasicWeights {
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
 * (what `buildLayersModel(...).getWeights()` returns) as the basic model's variables, for a cell that adds
 * `forgetBias` at every step. The caller disposes the result.
 */
export function layersToBasicWeights(weights: readonly tf.Tensor[], forgetBias: number): BasicWeights {
  const [kernel, recurrentKernel, bias, denseKernel, denseBias] = weights;
  if (weights.length !== 5 || !kernel || !recurrentKernel || !bias || !denseKernel || !denseBias) {
    throw new Error(`layersToBasicWeights: expected 5 tensors (lstm kernel, recurrentKernel, bias, dense kernel, dense bias), got ${weights.length}`);
  }
  const units = recurrentKernel.shape[0] ?? 0;
  const fits =
    kernel.rank === 2 && kernel.shape[1] === 4 * units &&
    recurrentKernel.rank === 2 && recurrentKernel.shape[1] === 4 * units &&
    bias.rank === 1 && bias.shape[0] === 4 * units &&
    denseKernel.rank === 2 && denseKernel.shape[0] === units && denseBias.rank === 1 && denseBias.shape[0] === denseKernel.shape[1];
  if (!fits) {
    throw new Error(
      `layersToBasicWeights: shapes do not fit an LSTM + dense: [${kernel.shape}], [${recurrentKernel.shape}], [${bias.shape}], [${denseKernel.shape}], [${denseBias.shape}]`,
    );
  }
  return tf.tidy(() => {
    // BasicLSTMCell adds forgetBias inside its sigmoid itself: take it out of the bias here.
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
export function assignBasicWeights(model: BasicLstmClassifier, weights: BasicWeights): void {
  const pairs: [tf.Variable, tf.Tensor][] = [
    [model.kernel, weights.kernel],
    [model.bias, weights.bias],
    [model.weightsOut, weights.weightsOut],
    [model.biasesOut, weights.biasesOut],
  ];
  // Check all before assigning any, so a mismatch leaves the model as it was.
  for (const [variable, value] of pairs) {
    if (variable.shape.join(',') !== value.shape.join(',')) {
      throw new Error(`assignBasicWeights: variable ${variable.name} has shape [${variable.shape}], the weights [${value.shape}]`);
    }
  }
  for (const [variable, value] of pairs) variable.assign(value);
}

/**
 * A `BasicLstmClassifier` computing what a `buildLayersModel` model computes (its `getWeights()` given),
 * sizes read from the weights. Needs `recurrentActivation: 'sigmoid'` in the layers model, as
 * `buildLayersModel` sets it. The caller disposes the model.
 */
export function basicLstmFromLayers(weights: readonly tf.Tensor[], options: { readonly forgetBias?: number; readonly timeSteps?: number } = {}): BasicLstmClassifier {
  const forgetBias = options.forgetBias ?? MODEL_DEFAULTS.forgetBias;
  const basicWeights = layersToBasicWeights(weights, forgetBias);
  try {
    const [inputPlusUnits, fourUnits] = basicWeights.kernel.shape;
    const units = fourUnits / 4;
    const model = new BasicLstmClassifier({
      inputSize: inputPlusUnits - units,
      units,
      numClasses: basicWeights.weightsOut.shape[1],
      forgetBias,
      ...(options.timeSteps === undefined ? {} : { timeSteps: options.timeSteps }),
    });
    assignBasicWeights(model, basicWeights);
    return model;
  } finally {
    tf.dispose([basicWeights.kernel, basicWeights.bias, basicWeights.weightsOut, basicWeights.biasesOut]);
  }
}
