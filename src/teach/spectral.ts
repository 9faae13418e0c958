/**
 * The spectral norm σ_max(M) of a matrix: the most any vector can be stretched by it,
 * max ‖vM‖ / ‖v‖. Backpropagation through time multiplies the error by Whᵀ at every step, so
 * after k steps it has been stretched by at most σ_max(Wh)^k (times the tanh' factors, each <= 1):
 * notebook 6 (vanishing and exploding gradients) compares that bound with what it measures.
 * Plain TypeScript (float64): power iteration on MᵀM, whose top eigenvalue is σ_max².
 */
import { mulberry32 } from '../random';
import { norm, powerIterate } from './power-iteration';

/** Options of `spectralNorm`. */
export interface SpectralNormOptions {
  /** Most power-iteration steps; reaching it is reported as `converged: false`. */
  readonly maxIterations: number;
  /** Stop once the direction moves less than this (Euclidean norm) in one step. */
  readonly tolerance: number;
  /** Seeds the starting direction, so results repeat. */
  readonly seed: number;
}

export const SPECTRAL_NORM_DEFAULTS: SpectralNormOptions = { maxIterations: 5000, tolerance: 1e-12, seed: 0 };

/** What `spectralNorm` found. */
export interface SpectralNorm {
  /** σ_max(M) = ‖Mv‖ for the unit direction v found. */
  readonly value: number;
  /** The right singular direction v (unit length). [cols] */
  readonly direction: number[];
  readonly iterations: number;
  /** False when `maxIterations` ran out first (two nearly equal top singular values). */
  readonly converged: boolean;
}

/** M v for M [rows][cols] and v [cols]. */
function times(m: ReadonlyArray<ArrayLike<number>>, v: readonly number[]): number[] {
  return m.map((row) => v.reduce((s, x, k) => s + (row[k] as number) * x, 0));
}

/** Mᵀ u for M [rows][cols] and u [rows]. */
function transposeTimes(m: ReadonlyArray<ArrayLike<number>>, u: readonly number[], cols: number): number[] {
  const out = new Array<number>(cols).fill(0);
  m.forEach((row, r) => {
    for (let c = 0; c < cols; c++) out[c] = (out[c] as number) + (row[c] as number) * (u[r] as number);
  });
  return out;
}

/** The largest singular value of `matrix` ([rows][cols], e.g. `tensor.arraySync()`). */
export function spectralNorm(
  matrix: ReadonlyArray<ArrayLike<number>>,
  options: Partial<SpectralNormOptions> = {},
): SpectralNorm {
  const o = { ...SPECTRAL_NORM_DEFAULTS, ...options };
  const cols = matrix[0]?.length ?? 0;
  if (matrix.length === 0 || cols === 0) throw new Error('spectralNorm: the matrix is empty');
  matrix.forEach((row, r) => {
    if (row.length !== cols) throw new Error(`spectralNorm: row ${r} has ${row.length} entries, row 0 has ${cols}`);
  });
  const random = mulberry32(o.seed);
  let v = Array.from({ length: cols }, () => random() - 0.5);
  v = v.map((x) => x / norm(v));
  // M v = 0 for the start only if M is zero (a random start is not in a null space otherwise).
  const found = powerIterate((u) => transposeTimes(matrix, times(matrix, u), cols), v, o); // MᵀM v
  return {
    value: norm(times(matrix, found.direction)),
    direction: found.direction,
    iterations: found.iterations,
    converged: found.converged,
  };
}
