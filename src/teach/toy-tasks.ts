/**
 * Toy sequence tasks small enough to print: each example is a short sequence of numbers in
 * [-1, 1] (one input per time step) and a yes/no answer, so a network of a few units can learn
 * it in seconds and every number it computes fits on a screen.
 *  - `sumSign`: is the sum of the sequence positive? Every step matters equally (notebook 5 trains
 *    on it).
 *  - `firstSign`: was the first number positive? The answer must be carried through all later
 *    steps, so the gradient that teaches it has to travel back to step 0 (notebook 5's first
 *    exercise measures how much of it arrives).
 */
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../random';

export type ToyTask = 'sumSign' | 'firstSign';
export const TOY_TASKS: readonly ToyTask[] = ['sumSign', 'firstSign'];

/** Options of `makeToySequences`. */
export interface ToySequencesOptions {
  readonly task: ToyTask;
  /** How many sequences. */
  readonly count: number;
  /** Numbers per sequence (time steps). */
  readonly timeSteps: number;
  /** Seeds the numbers, so the same seed gives the same sequences. */
  readonly seed: number;
}

export const TOY_SEQUENCES_DEFAULTS: ToySequencesOptions = { task: 'sumSign', count: 32, timeSteps: 5, seed: 0 };

/** Toy sequences as numbers and as tensors. */
export interface ToySequences {
  /** `values[n][t]`: the number at step t of sequence n, two decimals in [-1, 1]. */
  readonly values: number[][];
  /** 1 (yes) or 0 (no) per sequence. */
  readonly labels: number[];
  /** `[count, timeSteps, 1]`: one input per time step. */
  readonly xs: tf.Tensor3D;
  /** One-hot `[count, 2]`: column 0 "no", column 1 "yes". */
  readonly ys: tf.Tensor2D;
}

/** The answer of `task` for one sequence: 1 or 0. */
export function toyLabel(task: ToyTask, values: readonly number[]): number {
  // Summed in hundredths: 0.1 + 0.2 - 0.3 is not 0 in floating point, 10 + 20 - 30 is.
  if (task === 'sumSign') return values.reduce((a, b) => a + Math.round(100 * b), 0) > 0 ? 1 : 0;
  if (task === 'firstSign') return (values[0] ?? 0) > 0 ? 1 : 0;
  throw new Error(`toyLabel: unknown task "${String(task)}"; expected one of ${TOY_TASKS.join(', ')}`);
}

/** Seeded random sequences for a toy task; the caller disposes `xs` and `ys`. */
export function makeToySequences(options: Partial<ToySequencesOptions> = {}): ToySequences {
  const o = { ...TOY_SEQUENCES_DEFAULTS, ...options };
  if (!Number.isInteger(o.count) || o.count < 1)
    throw new Error(`makeToySequences: count must be a positive integer, got ${o.count}`);
  if (!Number.isInteger(o.timeSteps) || o.timeSteps < 1)
    throw new Error(`makeToySequences: timeSteps must be a positive integer, got ${o.timeSteps}`);
  const random = mulberry32(o.seed);
  // Two decimals keep printed sequences short; toyLabel sums them exactly, in hundredths.
  const values = Array.from({ length: o.count }, () =>
    Array.from({ length: o.timeSteps }, () => Math.round(200 * random() - 100) / 100),
  );
  const labels = values.map((v) => toyLabel(o.task, v));
  const flat = Float32Array.from(values.flat());
  const oneHot = new Float32Array(2 * o.count);
  labels.forEach((label, n) => {
    oneHot[2 * n + label] = 1;
  });
  return {
    values,
    labels,
    xs: tf.tensor3d(flat, [o.count, o.timeSteps, 1]),
    ys: tf.tensor2d(oneHot, [o.count, 2]),
  };
}
