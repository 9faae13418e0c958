/**
 * Helpers that make notebook cells safe to re-run. A learner re-runs cells all the time; a cell
 * that builds a model or makes tensors would otherwise leave the previous ones in memory
 * (tf.memory().numTensors grows with every run). `keep` remembers what a cell made under a
 * name and frees the previous value when the cell runs again.
 */
import * as tf from '@tensorflow/tfjs';

const kept = new Map<string, unknown>();

function disposeValue(value: unknown): void {
  if (typeof value === 'object' && value !== null && 'dispose' in value && typeof value.dispose === 'function') {
    (value as { dispose(): void }).dispose();
    return;
  }
  tf.dispose(value as tf.TensorContainer);
}

/** Stores `value` under `key`, disposing whatever the same key held before (tensors, models, anything with `dispose`). */
export function keep<T>(key: string, value: T): T {
  if (kept.has(key)) {
    const previous = kept.get(key);
    if (previous !== value) disposeValue(previous);
  }
  kept.set(key, value);
  return value;
}
