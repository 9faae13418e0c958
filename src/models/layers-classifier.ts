/** A `tf.LayersModel` as a `Classifier`, and the one tfjs-layers warning that building one must not print. */
import * as tf from '@tensorflow/tfjs';
import type { Classifier } from './classifier';

/** A `Classifier` that also exposes its `tf.LayersModel` (for saving, summaries, weights). */
export interface LayersClassifier extends Classifier {
  readonly model: tf.LayersModel;
}

/** Wraps a layers model (input `[batch, steps, features]`, output logits `[batch, classes]`) as a `Classifier` named `name` (default: the model's). */
export function layersClassifier(model: tf.LayersModel, name: string = model.name): LayersClassifier {
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

/** True when `classifier` carries a `tf.LayersModel` (every kind but `basic`). */
export function isLayersClassifier(classifier: Classifier): classifier is LayersClassifier {
  return 'model' in classifier && classifier.model instanceof tf.LayersModel;
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
