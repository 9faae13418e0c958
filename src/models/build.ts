/** One entry point for the models the tutorial can train, selectable by name from notebooks and the CLI. */
import type { Classifier } from './classifier';
import { buildLayersModel, layersClassifier } from './layers-lstm';
import { SeedLstm } from './seed-lstm';

/**
 * - `layers`: `tf.layers.lstm` + dense, the TF.js way (the default).
 * - `seed`: the seed's own BasicLSTMCell + `weights.out`/`biases.out`, TF1 semantics.
 */
export type ModelKind = 'layers' | 'seed';
export const MODEL_KINDS: readonly ModelKind[] = ['layers', 'seed'];

export interface ClassifierOptions {
  readonly kind: ModelKind;
  readonly timeSteps: number;
  readonly inputSize: number;
  /** The seed's `n_hidden`. */
  readonly units: number;
  readonly numClasses: number;
  readonly seed: number;
}

export const CLASSIFIER_DEFAULTS: ClassifierOptions = { kind: 'layers', timeSteps: 28, inputSize: 28, units: 128, numClasses: 10, seed: 0 };

/** Builds a fresh, randomly initialised (seeded) classifier of the given kind. */
export function buildClassifier(options: Partial<ClassifierOptions> = {}): Classifier {
  const { kind, ...sizes } = { ...CLASSIFIER_DEFAULTS, ...options };
  if (kind === 'seed') return new SeedLstm(sizes);
  if (kind === 'layers') return layersClassifier(buildLayersModel(sizes));
  throw new Error(`unknown model kind "${String(kind)}"; expected one of ${MODEL_KINDS.join(', ')}`);
}
