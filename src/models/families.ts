/**
 * Model families with the tutorial's contract, `[batch, timeSteps, inputSize]` → logits
 * `[batch, numClasses]`: LSTM, GRU or SimpleRNN cells, stacked `layers` deep, optionally
 * bidirectional, then one dense layer. Every initialiser is seeded, so one seed gives one set of
 * initial weights.
 *
 * Bidirectional layers are built from a `ReverseTime` layer (flip the time axis) rather than
 * `tf.layers.bidirectional`, because that wrapper clones its layer with `goBackwards`, which the
 * fused LSTM does not implement. Reversing the input, running a forward layer and (for
 * `returnSequences`) reversing its output back is what Keras' `Bidirectional(merge_mode='concat')`
 * computes, and it gives the fused and stock LSTM the same topology and the same weights.
 *
 * Divergence notes (vs Keras): GRU uses `resetAfter: false` (the only mode tfjs has; Keras 2
 * defaults to true) and `recurrentActivation: 'sigmoid'` (tfjs defaults to 'hardSigmoid'); every
 * LSTM layer starts with its forget-gate bias at 1, as in `buildLayersModel`.
 */
import * as tf from '@tensorflow/tfjs';
import type { Classifier } from './classifier';
import { fusedLstm } from './fused-lstm';
import { buildLayersModel, withoutOrthogonalWarning, type LayersClassifier } from './layers-lstm';

/** The recurrent cell of a model family. */
export type CellType = 'lstm' | 'gru' | 'simple-rnn';
/** Every cell type, in the order sweeps and help texts list them. */
export const CELL_TYPES: readonly CellType[] = ['lstm', 'gru', 'simple-rnn'];

/** Options of `buildFamilyModel`; sizes as in the seed (`n_hidden`→units, ...). */
export interface FamilyModelOptions {
  readonly cell: CellType;
  /** For `lstm` only: the fused LSTM layer (fast) instead of `tf.layers.lstm` (same function, same weights). */
  readonly fused: boolean;
  /** Recurrent layers stacked; all but the last return every step's output. */
  readonly layers: number;
  /** Each recurrent layer reads the rows forwards and backwards and concatenates both outputs (2 * units). */
  readonly bidirectional: boolean;
  readonly timeSteps: number;
  readonly inputSize: number;
  readonly units: number;
  readonly numClasses: number;
  readonly seed: number;
}

/** Defaults of `buildFamilyModel`: the seed's one LSTM layer of 128 units on 28 x 28 digits. */
export const FAMILY_MODEL_DEFAULTS: FamilyModelOptions = {
  cell: 'lstm',
  fused: false,
  layers: 1,
  bidirectional: false,
  timeSteps: 28,
  inputSize: 28,
  units: 128,
  numClasses: 10,
  seed: 0,
};

/** Narrowing guard for flag and config values. */
export function isCellType(value: string): value is CellType {
  return (CELL_TYPES as readonly string[]).includes(value);
}

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Flips the time axis: `[batch, steps, features]` → the same shape, step t holding step steps-1-t. */
export class ReverseTime extends tf.layers.Layer {
  /** The name under which models save and load this layer. */
  static readonly className = 'ReverseTime';

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (x === undefined || x.rank !== 3) throw new Error(`ReverseTime: expected one input [batch, steps, features], got ${x === undefined ? 'none' : `[${x.shape}]`}`);
    return tf.reverse(x, 1);
  }
}
tf.serialization.registerClass(ReverseTime);

/** Layer-name stem per cell: `lstm`, `gru`, `simple_rnn` (tfjs names are snake_case). */
const STEM: Readonly<Record<CellType, string>> = { lstm: 'lstm', gru: 'gru', 'simple-rnn': 'simple_rnn' };

function checkOptions(o: FamilyModelOptions): void {
  if (!isCellType(o.cell)) throw new Error(`buildFamilyModel: unknown cell "${String(o.cell)}"; expected one of ${CELL_TYPES.join(', ')}`);
  if (o.fused && o.cell !== 'lstm') throw new Error(`buildFamilyModel: fused is an LSTM implementation; cell "${o.cell}" has none`);
  for (const key of ['layers', 'timeSteps', 'inputSize', 'units', 'numClasses'] as const) {
    if (!Number.isSafeInteger(o[key]) || o[key] < 1) throw new Error(`buildFamilyModel: ${key} must be a whole number >= 1, got ${String(o[key])}`);
  }
  if (!Number.isSafeInteger(o.seed)) throw new Error(`buildFamilyModel: seed must be a whole number, got ${String(o.seed)}`);
}

/**
 * One recurrent layer. Seeds: the first forward layer uses seed and seed + 1 (as `buildLayersModel`,
 * whose dense layer takes seed + 2); recurrent layer j > 0 (forward and backward counted apart)
 * uses seed + 2 + 2j and seed + 3 + 2j.
 */
function recurrentLayer(o: FamilyModelOptions, j: number, name: string, returnSequences: boolean): tf.layers.Layer {
  const kernelSeed = j === 0 ? o.seed : o.seed + 2 + 2 * j;
  const args = {
    units: o.units,
    returnSequences,
    kernelInitializer: tf.initializers.glorotUniform({ seed: kernelSeed }),
    recurrentInitializer: tf.initializers.orthogonal({ seed: kernelSeed + 1 }),
    name,
  };
  if (o.cell === 'gru') return tf.layers.gru({ ...args, recurrentActivation: 'sigmoid' });
  if (o.cell === 'simple-rnn') return tf.layers.simpleRNN(args);
  // Not `unitForgetBias: true`: it leaks 4 tensors per build in tfjs 4.22 (see openForgetGate).
  return o.fused ? fusedLstm({ ...args, recurrentActivation: 'sigmoid' }) : tf.layers.lstm({ ...args, recurrentActivation: 'sigmoid' });
}

/** Forget-gate slice of an LSTM bias `[4 * units]` (gates i, f, c, o) set to 1, what `unitForgetBias` does. */
function openForgetGate(lstm: tf.layers.Layer, units: number): void {
  const weights = lstm.getWeights();
  const bias = weights[2];
  if (bias === undefined || bias.size !== 4 * units) throw new Error(`openForgetGate: expected an LSTM bias of ${4 * units} values in layer ${lstm.name}`);
  const opened = tf.tidy(() => tf.add(bias, tf.concat([tf.zeros([units]), tf.ones([units]), tf.zeros([2 * units])])));
  lstm.setWeights([...weights.slice(0, 2), opened, ...weights.slice(3)]);
  opened.dispose();
}

function stackFamily(o: FamilyModelOptions): tf.LayersModel {
  const input = tf.input({ shape: [o.timeSteps, o.inputSize], name: 'rows' }); // [batch, 28, 28]
  const recurrent: tf.layers.Layer[] = [];
  let x = input;
  for (let l = 1; l <= o.layers; l++) {
    const name = l === 1 ? STEM[o.cell] : `${STEM[o.cell]}_${l}`;
    const returnSequences = l < o.layers;
    const forward = recurrentLayer(o, recurrent.length, name, returnSequences);
    recurrent.push(forward);
    const fw = forward.apply(x) as tf.SymbolicTensor; // [batch, units] or [batch, steps, units]
    if (!o.bidirectional) {
      x = fw;
      continue;
    }
    const backward = recurrentLayer(o, recurrent.length, `${name}_backward`, returnSequences);
    recurrent.push(backward);
    const reversed = new ReverseTime({ name: `${name}_reverse_in` }).apply(x) as tf.SymbolicTensor;
    let bw = backward.apply(reversed) as tf.SymbolicTensor;
    // Step t of the backward sequence read row steps-1-t; flip it so both halves align in time.
    if (returnSequences) bw = new ReverseTime({ name: `${name}_reverse_out` }).apply(bw) as tf.SymbolicTensor;
    x = tf.layers.concatenate({ name: `${name}_concat` }).apply([fw, bw]) as tf.SymbolicTensor; // [..., 2 * units]
  }
  const logits = tf.layers
    .dense({ units: o.numClasses, kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed + 2 }), name: 'logits' })
    .apply(x) as tf.SymbolicTensor; // [batch, numClasses]
  const model = tf.model({ inputs: input, outputs: logits, name: `${STEM[o.cell]}_family` });
  if (o.cell === 'lstm') for (const layer of recurrent) openForgetGate(layer, o.units);
  return model;
}

/**
 * A fresh, seeded family model: `[batch, timeSteps, inputSize]` → logits `[batch, numClasses]`.
 * One-layer, one-direction LSTMs are exactly `buildLayersModel`'s (same names and weights).
 */
export function buildFamilyModel(options: Partial<FamilyModelOptions> = {}): tf.LayersModel {
  const o: FamilyModelOptions = { ...FAMILY_MODEL_DEFAULTS, ...options };
  checkOptions(o);
  if (o.cell === 'lstm' && o.layers === 1 && !o.bidirectional) {
    const { timeSteps, inputSize, units, numClasses, seed, fused } = o;
    return buildLayersModel({ timeSteps, inputSize, units, numClasses, seed, fused });
  }
  return withoutOrthogonalWarning(() => stackFamily(o));
}

/** A short name for logs: `fused LSTM`, `tf.layers.gru`, `2 x tf.layers.simpleRNN, bidirectional`. */
export function familyName(o: Pick<FamilyModelOptions, 'cell' | 'fused' | 'layers' | 'bidirectional'>): string {
  const layer = o.cell === 'lstm' ? (o.fused ? 'fused LSTM' : 'tf.layers.lstm') : o.cell === 'gru' ? 'tf.layers.gru' : 'tf.layers.simpleRNN';
  return `${o.layers > 1 ? `${o.layers} x ` : ''}${layer}${o.bidirectional ? ', bidirectional' : ''}`;
}

/** True when `classifier` carries a `tf.LayersModel` (everything `buildClassifier` makes except the seed kind). */
export function isLayersClassifier(classifier: Classifier): classifier is LayersClassifier {
  return 'model' in classifier && classifier.model instanceof tf.LayersModel;
}
