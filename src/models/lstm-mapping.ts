/**
 * The tutorial's BasicLSTMCell variables (basic-lstm.ts) to and from the `tf.layers.lstm` + dense
 * weights that compute the same function: `basicToLayersWeights` (saving a basic model as a layers
 * one) and its inverse `layersToBasicWeights`, with which a model trained the TF.js way can be
 * opened up with the BasicLSTMCell, gate by gate (notebook 9).
 *
 * The two layouts (notebook 7 derives them):
 *  - basic:  kernel [inputSize + units, 4u] for [x, h] concatenated, gates i, j, f, o; bias [4u];
 *            forget_bias added inside the forget sigmoid at every step.
 *  - layers: kernel [inputSize, 4u], recurrentKernel [u, 4u], bias [4u], gates i, f, c (= j), o;
 *            no forget_bias term, so the forget bias carries it.
 */
import * as tf from '@tensorflow/tfjs';
import { BasicLstmClassifier, type BasicWeights } from './basic-lstm';
import type { ModelSettings } from '../settings';
import { MODEL_DEFAULTS } from '../settings';

/** Reorders the last axis from BasicLSTMCell's gate order i, j, f, o to tf.layers' i, f, c(=j), o. */
function ijfoToIfco<T extends tf.Tensor>(t: T, units: number): T {
  return tf.tidy(() => {
    const axis = t.rank - 1;
    const [i, j, f, o] = tf.split(t, [units, units, units, units], axis);
    return tf.concat([i as T, f as T, j as T, o as T], axis) as T;
  });
}

/**
 * The basic model's weights in the layout of the tf.layers model's weights (kinds `layers` and
 * `fused`, one layer): `[lstm kernel [inputSize, 4u], lstm recurrentKernel [u, 4u], lstm bias [4u],
 * dense kernel [u, classes], dense bias [classes]]`. The forget bias gains `forgetBias`, so
 * sigmoid(f + b_f + forgetBias) is computed by both.
 */
export function basicToLayersWeights(
  basic: BasicWeights & { readonly settings: Pick<ModelSettings, 'inputSize' | 'units' | 'forgetBias'> },
): tf.Tensor[] {
  return tf.tidy(() => {
    const { inputSize, units, forgetBias } = basic.settings;
    const [inputKernel, recurrentKernel] = tf.split(basic.kernel, [inputSize, units], 0);
    const forget = tf.concat([tf.zeros([2 * units]), tf.fill([units], forgetBias), tf.zeros([units])]); // adds to f in i, j, f, o order
    return [
      ijfoToIfco(inputKernel as tf.Tensor2D, units),
      ijfoToIfco(recurrentKernel as tf.Tensor2D, units),
      ijfoToIfco(tf.add(basic.bias, forget) as tf.Tensor1D, units),
      basic.weightsOut.clone(),
      basic.biasesOut.clone(),
    ];
  });
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
    throw new Error(
      `layersToBasicWeights: expected 5 tensors (lstm kernel, recurrentKernel, bias, dense kernel, dense bias), got ${weights.length}`,
    );
  }
  const units = recurrentKernel.shape[0] ?? 0;
  const fits =
    kernel.rank === 2 &&
    kernel.shape[1] === 4 * units &&
    recurrentKernel.rank === 2 &&
    recurrentKernel.shape[1] === 4 * units &&
    bias.rank === 1 &&
    bias.shape[0] === 4 * units &&
    denseKernel.rank === 2 &&
    denseKernel.shape[0] === units &&
    denseBias.rank === 1 &&
    denseBias.shape[0] === denseKernel.shape[1];
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
      throw new Error(
        `assignBasicWeights: variable ${variable.name} has shape [${variable.shape}], the weights [${value.shape}]`,
      );
    }
  }
  for (const [variable, value] of pairs) variable.assign(value);
}

/**
 * A `BasicLstmClassifier` computing what a `buildLayersModel` model computes (its `getWeights()` given),
 * sizes read from the weights. Needs `recurrentActivation: 'sigmoid'` in the layers model, as
 * `buildLayersModel` sets it. The caller disposes the model.
 */
export function basicLstmFromLayers(
  weights: readonly tf.Tensor[],
  options: { readonly forgetBias?: number; readonly timeSteps?: number } = {},
): BasicLstmClassifier {
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
