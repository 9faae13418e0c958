import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { setupBackend } from '../../src/backend';
import { type Batch, DataSet, IMAGE_PIXELS } from '../../src/data/dataset';
import { mulberry32, shuffleInPlace } from '../../src/random';

/** n examples; every pixel of example i is i / 1000, so a batch tells which examples it holds. */
function numbered(n: number): { images: Float32Array; labels: Uint8Array } {
  const images = new Float32Array(n * IMAGE_PIXELS);
  for (let i = 0; i < n; i++) images.fill(i / 1000, i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS);
  return { images, labels: Uint8Array.from({ length: n }, (_, i) => (i * 7) % 10) };
}

/** Which examples a batch holds (from the first pixel of each image), then disposes it. */
function indicesOf(batch: Batch): number[] {
  const xs = batch.xs.dataSync();
  const rows = batch.xs.shape[0];
  batch.xs.dispose();
  batch.ys.dispose();
  return Array.from({ length: rows }, (_, r) => Math.round((xs[r * IMAGE_PIXELS] ?? -1) * 1000));
}

/** TF1's DataSet.next_batch transcribed: reorders whole arrays with perm = shuffled arange, like numpy. */
class ReferenceDataSet {
  private items: number[];
  private indexInEpoch = 0;
  epochsCompleted = 0;
  private readonly random: () => number;
  constructor(n: number, seed: number) {
    this.items = Array.from({ length: n }, (_, i) => i);
    this.random = mulberry32(seed);
  }
  private shuffle(): void {
    const perm = Array.from({ length: this.items.length }, (_, i) => i);
    shuffleInPlace(perm, this.random);
    this.items = perm.map((p) => this.items[p] ?? -1); // self._images = self.images[perm]
  }
  nextBatch(batchSize: number): number[] {
    const n = this.items.length;
    let start = this.indexInEpoch;
    if (this.epochsCompleted === 0 && start === 0) this.shuffle();
    if (start + batchSize > n) {
      this.epochsCompleted += 1;
      const restNum = n - start;
      const restPart = this.items.slice(start, n);
      this.shuffle();
      start = 0;
      this.indexInEpoch = batchSize - restNum;
      return [...restPart, ...this.items.slice(start, this.indexInEpoch)];
    }
    this.indexInEpoch += batchSize;
    return this.items.slice(start, this.indexInEpoch);
  }
}

before(async () => {
  await setupBackend({ backend: 'cpu' });
});

describe('DataSet.nextBatch', () => {
  test('returns xs [batch, 28, 28] float32 and one-hot ys [batch, 10] matching the labels', () => {
    const { images, labels } = numbered(20);
    const data = new DataSet(images, labels, { seed: 1 });
    const batch = data.nextBatch(6);
    assert.deepEqual(batch.xs.shape, [6, 28, 28]);
    assert.deepEqual(batch.ys.shape, [6, 10]);
    assert.equal(batch.xs.dtype, 'float32');
    assert.equal(batch.ys.dtype, 'float32');
    const ys = batch.ys.arraySync();
    const which = indicesOf(batch);
    which.forEach((index, row) => {
      const expected = Array.from({ length: 10 }, (_, c) => (c === labels[index] ? 1 : 0));
      assert.deepEqual(ys[row], expected, `row ${row} is example ${index} with label ${labels[index]}`);
    });
  });

  test('follows TF1 next_batch exactly, including batches across epoch ends', () => {
    const n = 23;
    const { images, labels } = numbered(n);
    const data = new DataSet(images, labels, { seed: 5 });
    const reference = new ReferenceDataSet(n, 5);
    for (const batchSize of [5, 5, 5, 5, 7, 1, 23, 4, 11, 11, 11, 2, 3, 23, 23, 9]) {
      assert.deepEqual(indicesOf(data.nextBatch(batchSize)), reference.nextBatch(batchSize));
      assert.equal(data.epochsCompleted, reference.epochsCompleted);
    }
  });

  test('sees every example exactly once per epoch, also when batches straddle epochs', () => {
    const n = 12;
    const { images, labels } = numbered(n);
    const data = new DataSet(images, labels);
    const stream: number[] = [];
    for (let i = 0; i < 12; i++) stream.push(...indicesOf(data.nextBatch(5))); // 60 = 5 epochs
    for (let epoch = 0; epoch < 5; epoch++) {
      const seen = stream.slice(epoch * n, (epoch + 1) * n).sort((a, b) => a - b);
      assert.deepEqual(
        seen,
        Array.from({ length: n }, (_, i) => i),
        `epoch ${epoch}`,
      );
    }
  });

  test('concatenates the rest of an epoch with the start of the next one', () => {
    const { images, labels } = numbered(10);
    const data = new DataSet(images, labels, { seed: 3 });
    const first = indicesOf(data.nextBatch(4));
    const second = indicesOf(data.nextBatch(4));
    assert.equal(data.epochsCompleted, 0);
    const third = indicesOf(data.nextBatch(4)); // 2 left in epoch 1, 2 from epoch 2
    assert.equal(data.epochsCompleted, 1);
    const restOfEpoch = Array.from({ length: 10 }, (_, i) => i).filter(
      (i) => !first.includes(i) && !second.includes(i),
    );
    assert.deepEqual(third.slice(0, 2).sort(), restOfEpoch.sort());
    // The next epoch continues after the 2 examples it already gave.
    const fourth = indicesOf(data.nextBatch(8));
    assert.deepEqual(
      [...third.slice(2), ...fourth].sort((a, b) => a - b),
      Array.from({ length: 10 }, (_, i) => i),
    );
    assert.equal(data.epochsCompleted, 1);
  });

  test('counts an epoch that ends exactly on a batch only at the next call, as TF1 does', () => {
    const { images, labels } = numbered(8);
    const data = new DataSet(images, labels);
    indicesOf(data.nextBatch(4));
    indicesOf(data.nextBatch(4));
    assert.equal(data.epochsCompleted, 0);
    assert.equal(indicesOf(data.nextBatch(4)).length, 4);
    assert.equal(data.epochsCompleted, 1);
  });

  test('gives the same batches for the same seed and another order for another seed', () => {
    const { images, labels } = numbered(50);
    const run = (seed: number): number[] => {
      const data = new DataSet(images, labels, { seed });
      return Array.from({ length: 8 }, () => indicesOf(data.nextBatch(16))).flat();
    };
    assert.deepEqual(run(11), run(11));
    assert.notDeepEqual(run(11), run(12));
    assert.notDeepEqual(
      run(11).slice(0, 50),
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  test('leaves no tensors behind beyond the two it returns', () => {
    const { images, labels } = numbered(30);
    const data = new DataSet(images, labels);
    const before = tf.memory().numTensors;
    const batch = data.nextBatch(7);
    assert.equal(tf.memory().numTensors, before + 2);
    batch.xs.dispose();
    batch.ys.dispose();
    for (let i = 0; i < 20; i++) {
      const b = data.nextBatch(9);
      tf.dispose([b.xs, b.ys]);
      const s = data.slice(0, 3);
      tf.dispose([s.xs, s.ys]);
    }
    assert.equal(tf.memory().numTensors, before);
  });

  test('rejects a batch size below 1, above numExamples, or fractional', () => {
    const { images, labels } = numbered(10);
    const data = new DataSet(images, labels);
    for (const bad of [0, -1, 11, 2.5]) {
      assert.throws(() => data.nextBatch(bad), {
        message: `nextBatch: batchSize ${bad} must be an integer from 1 to numExamples (10)`,
      });
    }
  });
});

describe('DataSet storage', () => {
  test('slice and all keep the stored order whatever nextBatch did', () => {
    const { images, labels } = numbered(10);
    const data = new DataSet(images, labels);
    indicesOf(data.nextBatch(7));
    assert.deepEqual(indicesOf(data.slice(2, 6)), [2, 3, 4, 5]);
    const all = data.all();
    assert.deepEqual(all.xs.shape, [10, 28, 28]);
    assert.deepEqual(all.ys.argMax(1).arraySync(), [...labels]);
    indicesOf(all);
    assert.deepEqual(indicesOf(data.slice(4, 4)), []);
    assert.deepEqual([...data.labels], [...labels]);
    assert.equal(data.images, images);
  });

  test('rejects bad slice bounds', () => {
    const { images, labels } = numbered(10);
    const data = new DataSet(images, labels);
    for (const [start, end] of [
      [-1, 3],
      [5, 2],
      [0, 11],
      [0.5, 2],
    ] as const) {
      assert.throws(() => data.slice(start, end), {
        message: `slice(${start}, ${end}): expected integers with 0 <= start <= end <= numExamples (10)`,
      });
    }
  });

  test('image(i) is the i-th digit, 784 values', () => {
    const { images, labels } = numbered(5);
    const data = new DataSet(images, labels);
    const digit = data.image(3);
    assert.equal(digit.length, 784);
    assert.ok(digit.every((v) => v === Math.fround(0.003)));
    assert.throws(() => data.image(5), /image\(5\): expected an integer index from 0 to 4/);
  });

  test('rejects images and labels of different lengths, and labels above 9', () => {
    assert.throws(() => new DataSet(new Float32Array(784 * 3), new Uint8Array(2)), {
      message: 'DataSet: images hold 2352 values, expected 2 labels * 784 = 1568',
    });
    assert.throws(
      () => new DataSet(new Float32Array(784), Uint8Array.of(10)),
      /label 10 at index 0 is not a digit 0\.\.9/,
    );
  });

  test('allows an empty DataSet (validationSize 0) but no batch from it', () => {
    const data = new DataSet(new Float32Array(0), new Uint8Array(0));
    assert.equal(data.numExamples, 0);
    assert.deepEqual(indicesOf(data.all()), []);
    assert.throws(() => data.nextBatch(1), /from 1 to numExamples \(0\)/);
  });
});
