/**
 * The seed's model the TF.js way: `tf.layers.lstm` followed by `tf.layers.dense`, and the weight
 * mapping that makes it compute exactly what the seed's BasicLSTMCell model computes.
 */
import * as tf from '@tensorflow/tfjs';
import type { Classifier } from './classifier';
import { fusedLstm } from './fused-lstm';
import type { SeedLstm } from './seed-lstm';

/** Sizes as in the seed (`n_steps`→timeSteps, `n_input`→inputSize, `n_hidden`→units, `n_classes`→numClasses). */
export interface LayersModelOptions {
  readonly timeSteps: number;
  readonly inputSize: number;
  readonly units: number;
  readonly numClasses: number;
  /** Seeds every initialiser, so the same seed gives the same initial weights. */
  readonly seed: number;
  /**
   * Use the fused LSTM layer (src/models/fused-lstm.ts): the same function and weight layout as
   * `tf.layers.lstm`, several times faster to train. False builds the stock `tf.layers.lstm`.
   */
  readonly fused: boolean;
}

export const LAYERS_MODEL_DEFAULTS: LayersModelOptions = {
  timeSteps: 28,
  inputSize: 28,
  units: 128,
  numClasses: 10,
  seed: 0,
  fused: false,
};

/**
 * `[batch, timeSteps, inputSize]` → LSTM(units) → dense(numClasses) logits `[batch, numClasses]`.
 * Divergence note: `recurrentActivation` is set to `sigmoid` (TF.js defaults to `hardSigmoid`,
 * TF1's BasicLSTMCell uses sigmoid) and the forget bias starts at 1 (Keras's `unit_forget_bias`), the
 * closest an initialiser gets to BasicLSTMCell's `forget_bias=1.0` added at every step.
 */
export function buildLayersModel(options: Partial<LayersModelOptions> = {}): tf.Sequential {
  const o = { ...LAYERS_MODEL_DEFAULTS, ...options };
  return withoutOrthogonalWarning(() => stackLayers(o));
}

/**
 * tfjs-layers warns on stderr whenever the orthogonal initialiser (recurrent kernels) fills more
 * than 2,000 numbers; it takes milliseconds, and in a notebook the warning reads as an error.
 * Only that message is dropped, only while `build` runs (or, if it returns a promise, until it
 * settles: `tf.loadLayersModel` builds layers asynchronously).
 */
export function withoutOrthogonalWarning<T>(build: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]): void => {
    if (typeof args[0] === 'string' && args[0].startsWith('Orthogonal initializer is being called')) return;
    warn(...args);
  };
  const restore = (): void => {
    console.warn = warn;
  };
  let result: T;
  try {
    result = build();
  } catch (err) {
    restore();
    throw err;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}

function stackLayers(o: LayersModelOptions): tf.Sequential {
  const model = tf.sequential({ name: 'seed_lstm_layers' });
  const lstmArgs = {
    units: o.units,
    inputShape: [o.timeSteps, o.inputSize] as number[],
    recurrentActivation: 'sigmoid' as const,
    kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed }),
    recurrentInitializer: tf.initializers.orthogonal({ seed: o.seed + 1 }),
    name: 'lstm',
  };
  model.add(o.fused ? fusedLstm(lstmArgs) : tf.layers.lstm(lstmArgs));
  model.add(
    tf.layers.dense({
      units: o.numClasses,
      kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed + 2 }),
      name: 'logits',
    }),
  );
  startForgetGateOpen(model.getLayer('lstm'), o.units);
  return model;
}

/**
 * Sets the forget-gate slice of an LSTM layer's bias `[4 * units]` (gates i, f, c, o) to 1, what
 * `unitForgetBias: true` does. That option leaks 4 tensors per layer built in tfjs-layers 4.22
 * (a notebook cell re-run would grow memory), so the bias is set here instead.
 */
function startForgetGateOpen(lstm: tf.layers.Layer, units: number): void {
  const weights = lstm.getWeights();
  const bias = weights[2];
  if (bias === undefined || bias.size !== 4 * units) throw new Error(`startForgetGateOpen: expected an LSTM bias of ${4 * units} values`);
  const opened = tf.tidy(() => tf.add(bias, tf.concat([tf.zeros([units]), tf.ones([units]), tf.zeros([2 * units])])));
  lstm.setWeights([...weights.slice(0, 2), opened, ...weights.slice(3)]);
  opened.dispose();
}

/** A `Classifier` that also exposes its `tf.LayersModel` (for saving, summaries, weights). */
export interface LayersClassifier extends Classifier {
  readonly model: tf.LayersModel;
}

/** Wraps a layers model (input `[batch, steps, features]`, output logits) as a `Classifier`. */
export function layersClassifier(model: tf.LayersModel, name = 'tf.layers.lstm'): LayersClassifier {
  return {
    name,
    model,
    predict: (xs: tf.Tensor3D, training = false): tf.Tensor2D => model.apply(xs, { training }) as tf.Tensor2D,
    // LayerVariable.read() is the underlying tf.Variable that the optimiser updates in place.
    get variables(): readonly tf.Variable[] {
      return model.trainableWeights.map((w) => w.read() as tf.Variable);
    },
    dispose: (): void => {
      model.dispose();
    },
  };
}

/** Reorders the last axis from BasicLSTMCell's gate order i, j, f, o to tf.layers' i, f, c(=j), o. */
function ijfoToIfco<T extends tf.Tensor>(t: T, units: number): T {
  return tf.tidy(() => {
    const axis = t.rank - 1;
    const [i, j, f, o] = tf.split(t, [units, units, units, units], axis);
    return tf.concat([i as T, f as T, j as T, o as T], axis) as T;
  });
}

/**
 * The seed model's weights in the layout of `buildLayersModel`'s weights:
 * `[lstm kernel [inputSize, 4u], lstm recurrentKernel [u, 4u], lstm bias [4u], dense kernel [u, classes], dense bias [classes]]`.
 * The forget bias gains `forgetBias`, so sigmoid(f + b_f + forgetBias) is computed by both.
 */
export function seedToLayersWeights(seed: SeedLstm): tf.Tensor[] {
  return tf.tidy(() => {
    const { inputSize, units, forgetBias } = seed.options;
    const [inputKernel, recurrentKernel] = tf.split(seed.kernel, [inputSize, units], 0);
    const forget = tf.concat([tf.zeros([2 * units]), tf.fill([units], forgetBias), tf.zeros([units])]); // adds to f in i, j, f, o order
    return [
      ijfoToIfco(inputKernel as tf.Tensor2D, units),
      ijfoToIfco(recurrentKernel as tf.Tensor2D, units),
      ijfoToIfco(tf.add(seed.bias, forget) as tf.Tensor1D, units),
      seed.weightsOut.clone(),
      seed.biasesOut.clone(),
    ];
  });
}
