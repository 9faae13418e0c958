/**
 * A small seeded random number generator, so that shuffles (and anything else that needs
 * randomness outside tfjs) are the same on every run with the same seed. `Math.random` cannot
 * be seeded, which would make `nextBatch` orders, and so training curves, unrepeatable.
 */

/** Mulberry32 (Tommy Ettinger's 32-bit generator): returns a function giving uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  if (!Number.isInteger(seed)) {
    throw new Error(`mulberry32: seed must be an integer, got ${seed}`);
  }
  // Only the low 32 bits matter; `| 0` keeps negative and large seeds distinct modulo 2^32.
  let state = seed | 0;
  return (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates shuffle of `array` in place; every permutation is equally likely given a uniform `random`. */
export function shuffleInPlace<T>(array: T[] | Uint32Array | Int32Array, random: () => number): void {
  for (let i = array.length - 1; i > 0; i--) {
    // random() < 1, so j is at most i.
    const j = Math.floor(random() * (i + 1));
    const tmp = array[i] as T & number;
    array[i] = array[j] as T & number;
    array[j] = tmp;
  }
}
