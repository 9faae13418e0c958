/** One entry point for the models the tutorial can train, selectable by name from notebooks and the CLI. */
import type { Classifier } from './classifier';
import { buildLayersModel, layersClassifier } from './layers-lstm';
import { SeedLstm } from './seed-lstm';

/**
 * - `fused`: the TF.js model (LSTM + dense) with the fused LSTM layer, the fast path (the default).
 * - `layers`: the same model with the stock `tf.layers.lstm`, the reference.
 * - `seed`: the seed's own BasicLSTMCell + `weights.out`/`biases.out`, TF1 semantics.
 * `fused` and `layers` compute the same function and start from the same weights for a seed.
 */
export type ModelKind = 'fused' | 'layers' | 'seed';
export const MODEL_KINDS: readonly ModelKind[] = ['fused', 'layers', 'seed'];

export interface ClassifierOptions {
  readonly kind: ModelKind;
  readonly timeSteps: number;
  readonly inputSize: number;
  /** The seed's `n_hidden`. */
  readonly units: number;
  readonly numClasses: number;
  readonly seed: number;
}

export const CLASSIFIER_DEFAULTS: ClassifierOptions = { kind: 'fused', timeSteps: 28, inputSize: 28, units: 128, numClasses: 10, seed: 0 };

/** Builds a fresh, randomly initialised (seeded) classifier of the given kind. */
export function buildClassifier(options: Partial<ClassifierOptions> = {}): Classifier {
  const { kind, ...sizes } = { ...CLASSIFIER_DEFAULTS, ...options };
  if (kind === 'seed') return new SeedLstm(sizes);
  if (kind === 'layers') return layersClassifier(buildLayersModel({ ...sizes, fused: false }));
  if (kind === 'fused') return layersClassifier(buildLayersModel({ ...sizes, fused: true }), 'fused LSTM');
  throw new Error(`unknown model kind "${String(kind)}"; expected one of ${MODEL_KINDS.join(', ')}`);
}
