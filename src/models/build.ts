/**
 * The one model builder: every kind and cell from `ModelSettings` (src/settings.ts), with the
 * tutorial's contract `[batch, timeSteps, inputSize]` → logits `[batch, numClasses]`.
 *
 * - kind `basic`: the tutorial's own BasicLSTMCell model (basic-lstm.ts).
 * - kinds `fused` and `layers`: a tf.layers model: `layers` recurrent layers (LSTM, GRU or
 *   SimpleRNN; an LSTM is the fused layer for `fused`, `tf.layers.lstm` for `layers`), each
 *   wrapped in `tf.layers.bidirectional` when `bidirectional`, all but the last returning every
 *   step, then one dense layer `logits`.
 *
 * Initial weights (`init`): `tutorial`, the weights of the BasicLSTMCell model of the same seed,
 * mapped (one LSTM layer in one direction); `keras`, tf.layers' initialisers, seeded as follows.
 *
 * Seeds: recurrent layer j (forward and backward counted apart, in order) draws its kernel
 * (Glorot uniform) and recurrent kernel (orthogonal) with seed + 2j' and seed + 2j' + 1, where
 * j' = 0 for j = 0 and j + 1 after; the dense layer takes seed + 2. So one seed gives one set of
 * initial weights, the fused and stock LSTM start from the same ones, and a one-layer model has
 * the seeds it always had.
 *
 * Divergence notes (vs Keras): GRU uses `resetAfter: false` (the only mode tfjs has; Keras 2
 * defaults to true); every cell uses `recurrentActivation: 'sigmoid'` (tfjs defaults to
 * 'hardSigmoid'; TF1's BasicLSTMCell and Keras use sigmoid); every LSTM starts its forget-gate
 * bias at `forgetBias` (Keras' unit_forget_bias), set after building because tfjs-layers 4.22
 * leaks 4 tensors per layer built with `unitForgetBias: true`. `tf.layers.bidirectional` copies
 * its layer, seeds included, for the backward direction; its backward weights are then drawn with
 * their own seeds.
 */
import * as tf from '@tensorflow/tfjs';
import { checkFits, resolveModelSettings, type CellType, type ModelSettings } from '../settings';
import { BasicLstmClassifier, tutorialInitialWeights } from './basic-lstm';
import type { Classifier } from './classifier';
import { fusedLstm } from './fused-lstm';
import { layersClassifier, withoutOrthogonalWarning } from './layers-classifier';
import { basicToLayersWeights } from './lstm-mapping';

/** Layer-name stem per cell: `lstm`, `gru`, `simple_rnn` (tfjs names are snake_case). */
const STEM: Readonly<Record<CellType, string>> = { lstm: 'lstm', gru: 'gru', 'simple-rnn': 'simple_rnn' };

/** Seed of the kernel of recurrent layer j (forward and backward counted apart); its recurrent kernel takes the next. */
function kernelSeed(seed: number, j: number): number {
  return j === 0 ? seed : seed + 2 + 2 * j;
}

/** One recurrent layer of the settings' cell, seeded as recurrent layer j. */
function recurrentLayer(s: ModelSettings, j: number, name: string, returnSequences: boolean): tf.layers.Layer {
  const args = {
    units: s.units,
    returnSequences,
    recurrentActivation: 'sigmoid' as const,
    kernelInitializer: tf.initializers.glorotUniform({ seed: kernelSeed(s.seed, j) }),
    recurrentInitializer: tf.initializers.orthogonal({ seed: kernelSeed(s.seed, j) + 1 }),
    name,
  };
  if (s.cell === 'gru') return tf.layers.gru(args);
  if (s.cell === 'simple-rnn') {
    const { recurrentActivation: _unused, ...simple } = args; // SimpleRNN has no gates
    return tf.layers.simpleRNN(simple);
  }
  return s.kind === 'fused' ? fusedLstm(args) : tf.layers.lstm(args);
}

/** Draws layer `cell`'s weights with recurrent layer j's seeds, and starts an LSTM's forget gate at `forgetBias`. */
function initialise(cell: tf.layers.Layer, s: ModelSettings, j: number): void {
  const [kernel, recurrent, bias] = cell.getWeights();
  if (kernel === undefined || recurrent === undefined || bias === undefined)
    throw new Error(`layer ${cell.name}: expected kernel, recurrent kernel and bias`);
  const values = tf.tidy(() => {
    const k = tf.initializers.glorotUniform({ seed: kernelSeed(s.seed, j) }).apply(kernel.shape);
    const r = tf.initializers.orthogonal({ seed: kernelSeed(s.seed, j) + 1 }).apply(recurrent.shape);
    // LSTM bias [4u], gates i, f, c, o: the f quarter starts at forgetBias.
    const u = s.units;
    const b =
      s.cell === 'lstm'
        ? tf.concat([tf.zeros([u]), tf.fill([u], s.forgetBias), tf.zeros([2 * u])])
        : tf.zeros(bias.shape);
    return [k, r, b];
  });
  cell.setWeights(values);
  tf.dispose(values);
}

/**
 * The tf.layers model of kinds `fused` and `layers`: `[batch, timeSteps, inputSize]` → logits
 * `[batch, numClasses]`, freshly and reproducibly initialised from `settings.seed`.
 */
export function buildLayersModel(settings: Partial<ModelSettings> = {}): tf.LayersModel {
  const s = resolveModelSettings(settings);
  if (s.kind === 'basic')
    throw new Error('buildLayersModel: kind "basic" is not a tf.layers model; use buildClassifier');
  checkFits(s, { backend: tf.getBackend() });
  return layersModel(s);
}

/** `buildLayersModel` for settings already resolved and checked. */
function layersModel(s: ModelSettings): tf.LayersModel {
  return withoutOrthogonalWarning(() => {
    const input = tf.input({ shape: [s.timeSteps, s.inputSize], name: 'rows' }); // [batch, 28, 28]
    const cells: tf.layers.Layer[] = []; // every recurrent layer in seed order: forward, backward, next forward, ...
    let x = input;
    for (let l = 1; l <= s.layers; l++) {
      const name = l === 1 ? STEM[s.cell] : `${STEM[s.cell]}_${l}`;
      const returnSequences = l < s.layers;
      const layer = recurrentLayer(s, cells.length, name, returnSequences);
      if (s.bidirectional) {
        const both = tf.layers.bidirectional({ layer: layer as tf.RNN, mergeMode: 'concat', name });
        x = both.apply(x) as tf.SymbolicTensor; // [..., 2 * units]
        const wrapper = both as unknown as { forwardLayer: tf.layers.Layer; backwardLayer: tf.layers.Layer };
        cells.push(wrapper.forwardLayer, wrapper.backwardLayer);
      } else {
        x = layer.apply(x) as tf.SymbolicTensor; // [batch, units] or [batch, steps, units]
        cells.push(layer);
      }
    }
    const logits = tf.layers
      .dense({
        units: s.numClasses,
        kernelInitializer: tf.initializers.glorotUniform({ seed: s.seed + 2 }),
        name: 'logits',
      })
      .apply(x) as tf.SymbolicTensor; // [batch, numClasses]
    const model = tf.model({ inputs: input, outputs: logits, name: `${STEM[s.cell]}_classifier` });
    if (s.init === 'tutorial') startAsTheTutorial(model, s);
    else cells.forEach((cell, j) => initialise(cell, s, j));
    return model;
  });
}

/**
 * Gives a one-layer LSTM model the tutorial's initial weights: those of the BasicLSTMCell model
 * of the same seed (glorot_uniform over [x, h], zero bias, N(0, 1) output layer), mapped to the
 * tf.layers layout (lstm-mapping.ts), so that both compute the same function from the start.
 */
function startAsTheTutorial(model: tf.LayersModel, s: ModelSettings): void {
  const start = tutorialInitialWeights(s);
  const weights = basicToLayersWeights({ ...start, settings: s });
  model.setWeights(weights);
  tf.dispose([...weights, ...Object.values(start)]);
}

/** A short name for logs and records: `fused LSTM`, `tf.layers.gru`, `2 x tf.layers.simpleRNN, bidirectional`, `TF1 BasicLSTMCell`. */
export function modelName(settings: Partial<ModelSettings> = {}): string {
  const s = resolveModelSettings(settings);
  if (s.kind === 'basic') return 'TF1 BasicLSTMCell';
  const layer =
    s.cell === 'lstm'
      ? s.kind === 'fused'
        ? 'fused LSTM'
        : 'tf.layers.lstm'
      : s.cell === 'gru'
        ? 'tf.layers.gru'
        : 'tf.layers.simpleRNN';
  return `${s.layers > 1 ? `${s.layers} x ` : ''}${layer}${s.bidirectional ? ', bidirectional' : ''}`;
}

/** A fresh, seeded classifier of any kind and cell: `[batch, timeSteps, inputSize]` → logits `[batch, numClasses]`. */
export function buildClassifier(settings: Partial<ModelSettings> = {}): Classifier {
  const s = resolveModelSettings(settings);
  checkFits(s, { backend: tf.getBackend() });
  return classifierFor(s);
}

/** `buildClassifier` for settings already resolved and checked (runExperiment checks a whole run's). */
export function classifierFor(s: ModelSettings): Classifier {
  if (s.kind === 'basic') return new BasicLstmClassifier(s);
  return layersClassifier(layersModel(s), modelName(s));
}
