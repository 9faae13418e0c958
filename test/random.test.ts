import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mulberry32, shuffleInPlace } from '../src/random';

/** mulberry32 as it is usually copied around (one mutable closure variable): the reference to compare with. */
function referenceMulberry32(a: number): () => number {
  return () => {
    a += 0x6d2b79f5;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('mulberry32', () => {
  test('matches the reference implementation', () => {
    for (const seed of [0, 1, 42, 123456789, 2 ** 31 - 1]) {
      const ours = mulberry32(seed);
      const ref = referenceMulberry32(seed);
      for (let i = 0; i < 1000; i++) assert.equal(ours(), ref());
    }
  });

  test('gives numbers in [0, 1) with a mean near 0.5', () => {
    const random = mulberry32(7);
    let sum = 0;
    for (let i = 0; i < 10000; i++) {
      const x = random();
      assert.ok(x >= 0 && x < 1, `${x} outside [0, 1)`);
      sum += x;
    }
    assert.ok(Math.abs(sum / 10000 - 0.5) < 0.02);
  });

  test('repeats for a seed and differs between seeds', () => {
    const draw = (seed: number): number[] => Array.from({ length: 5 }, mulberry32(seed));
    assert.deepEqual(draw(3), draw(3));
    assert.notDeepEqual(draw(3), draw(4));
    assert.notDeepEqual(draw(-1), draw(1));
  });

  test('rejects a seed that is not an integer', () => {
    assert.throws(() => mulberry32(0.5), /seed must be an integer, got 0\.5/);
    assert.throws(() => mulberry32(Number.NaN), /seed must be an integer/);
  });
});

describe('shuffleInPlace', () => {
  test('permutes arrays and typed arrays, the same way for the same seed', () => {
    const plain = Array.from({ length: 50 }, (_, i) => `x${i}`);
    const u32 = Uint32Array.from({ length: 50 }, (_, i) => i);
    const i32 = Int32Array.from({ length: 50 }, (_, i) => i);
    shuffleInPlace(plain, mulberry32(9));
    shuffleInPlace(u32, mulberry32(9));
    shuffleInPlace(i32, mulberry32(9));
    assert.deepEqual(
      [...u32].sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.deepEqual(
      plain,
      [...u32].map((i) => `x${i}`),
    );
    assert.deepEqual([...i32], [...u32]);
    assert.notDeepEqual(
      [...u32],
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  test('handles empty and one-element arrays', () => {
    const empty: number[] = [];
    shuffleInPlace(empty, mulberry32(1));
    assert.deepEqual(empty, []);
    const one = [5];
    shuffleInPlace(one, mulberry32(1));
    assert.deepEqual(one, [5]);
  });

  test('makes all 6 orders of 3 elements about equally likely', () => {
    const random = mulberry32(2024);
    const counts = new Map<string, number>();
    const trials = 6000;
    for (let i = 0; i < trials; i++) {
      const a = [0, 1, 2];
      shuffleInPlace(a, random);
      counts.set(a.join(''), (counts.get(a.join('')) ?? 0) + 1);
    }
    assert.equal(counts.size, 6);
    // Expected 1000 each, standard deviation ~29: 150 is over 5 sigma.
    for (const [order, n] of counts) assert.ok(Math.abs(n - 1000) < 150, `${order} came ${n} times`);
  });
});
