/**
 * Power iteration, shared by `spectralNorm` (on MᵀM) and `pca` (on the covariance, with the
 * components found so far projected out): apply a linear map to a unit direction, normalise,
 * repeat until the direction stops moving. Plain TypeScript (float64).
 */

/** The Euclidean length of v. */
export function norm(v: readonly number[]): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

/** Where `powerIterate` stopped. */
export interface PowerIteration {
  /** The last unit direction. */
  readonly direction: number[];
  readonly iterations: number;
  /** True when the direction moved less than `tolerance` in a step, or the map sent it to zero (nothing left to find). */
  readonly converged: boolean;
}

/** Repeats v <- apply(v) / ‖apply(v)‖ from the unit direction `start`, at most `maxIterations` times. */
export function powerIterate(
  apply: (v: number[]) => number[],
  start: number[],
  o: { readonly maxIterations: number; readonly tolerance: number },
): PowerIteration {
  let v = start;
  let iterations = 0;
  for (; iterations < o.maxIterations; iterations++) {
    const w = apply(v);
    const length = norm(w);
    if (length === 0) return { direction: v, iterations, converged: true };
    const next = w.map((x) => x / length);
    const moved = norm(next.map((x, k) => x - (v[k] as number)));
    v = next;
    if (moved < o.tolerance) return { direction: v, iterations, converged: true };
  }
  return { direction: v, iterations, converged: false };
}
