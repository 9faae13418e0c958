/** One entry point for the models the tutorial can train, selectable by name from notebooks and the CLI. */
import type { Classifier } from './classifier';
import { buildFamilyModel, CELL_TYPES, FAMILY_MODEL_DEFAULTS, familyName, isCellType, type CellType, type FamilyModelOptions } from './families';
import { layersClassifier } from './layers-lstm';
import { SeedLstm } from './seed-lstm';

/**
 * How an LSTM is implemented:
 * - `fused`: the TF.js model (LSTM + dense) with the fused LSTM layer, the fast path (the default for LSTMs).
 * - `layers`: the same model with the stock `tf.layers.lstm`, the reference; for GRU and
 *   SimpleRNN the only implementation (`tf.layers.gru`, `tf.layers.simpleRNN`).
 * - `seed`: the seed's own BasicLSTMCell + `weights.out`/`biases.out`, TF1 semantics; one layer, one direction.
 * `fused` and `layers` compute the same function and start from the same weights for a seed.
 */
export type ModelKind = 'fused' | 'layers' | 'seed';
/** Every model kind, in the order the help text lists them. */
export const MODEL_KINDS: readonly ModelKind[] = ['fused', 'layers', 'seed'];

/**
 * Options of `buildClassifier`: the family's cell, depth, direction and sizes (the seed's names in
 * `FamilyModelOptions`' comments) and the seed, plus which implementation builds an LSTM.
 */
export interface ClassifierOptions extends Omit<FamilyModelOptions, 'fused'> {
  /** Default: `fused` for `cell: 'lstm'`, `layers` for the other cells (see `defaultKind`). */
  readonly kind: ModelKind;
}

/** The seed's model: one fused LSTM layer of 128 units on 28 rows of 28 pixels, 10 classes, seed 0. */
const { fused: _fused, ...FAMILY_DEFAULTS_WITHOUT_FUSED } = FAMILY_MODEL_DEFAULTS;
export const CLASSIFIER_DEFAULTS: ClassifierOptions = { ...FAMILY_DEFAULTS_WITHOUT_FUSED, kind: 'fused' };

/** The implementation used when none is asked for: the fused LSTM for `lstm`, tf.layers for the rest. */
export function defaultKind(cell: CellType): ModelKind {
  return cell === 'lstm' ? 'fused' : 'layers';
}

/**
 * Fills in defaults and checks that the combination exists; throws an Error naming the option.
 * `fused` and `seed` are LSTM implementations; `seed` is also one layer, one direction.
 */
export function resolveClassifierOptions(options: Partial<ClassifierOptions> = {}): ClassifierOptions {
  const cell = options.cell ?? CLASSIFIER_DEFAULTS.cell;
  if (!isCellType(cell)) throw new Error(`unknown cell "${String(cell)}"; expected one of ${CELL_TYPES.join(', ')}`);
  const o: ClassifierOptions = { ...CLASSIFIER_DEFAULTS, ...options, kind: options.kind ?? defaultKind(cell) };
  if (!(MODEL_KINDS as readonly string[]).includes(o.kind)) {
    throw new Error(`unknown model kind "${String(o.kind)}"; expected one of ${MODEL_KINDS.join(', ')}`);
  }
  if (o.kind !== 'layers' && cell !== 'lstm') {
    throw new Error(`model kind "${o.kind}" is an LSTM implementation; cell "${cell}" is built with tf.layers (kind "layers")`);
  }
  if (o.kind === 'seed' && (o.layers !== 1 || o.bidirectional)) {
    throw new Error('model kind "seed" (the seed\'s BasicLSTMCell) is one layer in one direction; use kind "fused" or "layers" for stacked or bidirectional LSTMs');
  }
  if (!Number.isSafeInteger(o.layers) || o.layers < 1) throw new Error(`layers must be a whole number >= 1, got ${String(o.layers)}`);
  if (!Number.isSafeInteger(o.units) || o.units < 1) throw new Error(`units must be a whole number >= 1, got ${String(o.units)}`);
  return o;
}

/** Builds a fresh, randomly initialised (seeded) classifier: `[batch, 28, 28]` → logits `[batch, 10]`. */
export function buildClassifier(options: Partial<ClassifierOptions> = {}): Classifier {
  const { kind, cell, layers, bidirectional, ...sizes } = resolveClassifierOptions(options);
  if (kind === 'seed') return new SeedLstm(sizes);
  const family = { cell, layers, bidirectional, fused: kind === 'fused' };
  return layersClassifier(buildFamilyModel({ ...family, ...sizes }), familyName(family));
}
