/**
 * Principal component analysis in plain TypeScript (float64): the directions along which a cloud
 * of points (e.g. final hidden states, one per digit) spreads most, found by power iteration on
 * the covariance matrix, each new direction kept orthogonal to those found before. Notebook 9 (inside the network) projects the 128-unit
 * final states onto the first two to draw them.
 */
import { mulberry32 } from '../random';
import { norm, powerIterate } from './power-iteration';

/** Options of `pca`. */
export interface PcaOptions {
  /** How many principal components to find. */
  readonly components: number;
  /** Most power-iteration steps per component; a component that reaches it is marked unconverged in the result. */
  readonly maxIterations: number;
  /** Stop once a direction moves less than this (Euclidean norm) in one step. */
  readonly tolerance: number;
  /** Seeds the starting direction, so results repeat. */
  readonly seed: number;
}

export const PCA_DEFAULTS: PcaOptions = { components: 2, maxIterations: 2000, tolerance: 1e-10, seed: 0 };

/** What `pca` found. */
export interface PcaResult {
  /** The mean point. [dims] */
  readonly mean: number[];
  /** Unit directions, largest variance first; the sign makes each one's largest entry positive. [components][dims] */
  readonly components: number[][];
  /**
   * Variance of the points along each component: the Rayleigh quotient vᵀCv of the direction
   * found, so it is the variance of the projections even when the iteration stopped early. At
   * convergence it is the covariance's eigenvalue. [components]
   */
  readonly variances: number[];
  /** Each variance as a fraction of the total variance (trace of the covariance). [components] */
  readonly explained: number[];
  /** Each point's coordinates along the components, after subtracting the mean. [points][components] */
  readonly projections: number[][];
  /** Power-iteration steps each component took. [components] */
  readonly iterations: number[];
  /**
   * Whether each component's direction settled within `tolerance` before `maxIterations`. False
   * when two variances are nearly equal (power iteration then turns slowly): the direction is a
   * mix of theirs, and its variance is still exact for that direction. [components]
   */
  readonly converged: boolean[];
}

function checkRows(rows: ReadonlyArray<ArrayLike<number>>, where: string): number {
  if (rows.length < 2) throw new Error(`${where}: need at least 2 points, got ${rows.length}`);
  const dims = (rows[0] as ArrayLike<number>).length;
  if (dims < 1) throw new Error(`${where}: points have no coordinates`);
  rows.forEach((r, n) => {
    if (r.length !== dims) throw new Error(`${where}: point ${n} has ${r.length} coordinates, point 0 has ${dims}`);
  });
  return dims;
}

/** The mean of the points. [dims] */
export function meanPoint(rows: ReadonlyArray<ArrayLike<number>>): number[] {
  const dims = checkRows(rows, 'meanPoint');
  const mean = new Array<number>(dims).fill(0);
  for (const r of rows) for (let d = 0; d < dims; d++) mean[d] = (mean[d] as number) + (r[d] as number) / rows.length;
  return mean;
}

/** The sample covariance matrix (divided by n - 1) of the points. [dims][dims] */
export function covarianceMatrix(rows: ReadonlyArray<ArrayLike<number>>): number[][] {
  const dims = checkRows(rows, 'covarianceMatrix');
  const mean = meanPoint(rows);
  const cov = Array.from({ length: dims }, () => new Array<number>(dims).fill(0));
  const centred = new Array<number>(dims);
  for (const r of rows) {
    for (let d = 0; d < dims; d++) centred[d] = (r[d] as number) - (mean[d] as number);
    for (let a = 0; a < dims; a++) {
      const row = cov[a] as number[];
      const ca = centred[a] as number;
      for (let b = a; b < dims; b++) row[b] = (row[b] as number) + ca * (centred[b] as number);
    }
  }
  for (let a = 0; a < dims; a++) {
    for (let b = a; b < dims; b++) {
      const v = ((cov[a] as number[])[b] as number) / (rows.length - 1);
      (cov[a] as number[])[b] = v;
      (cov[b] as number[])[a] = v;
    }
  }
  return cov;
}

function multiply(m: number[][], v: number[]): number[] {
  return m.map((row) => row.reduce((s, x, k) => s + x * (v[k] as number), 0));
}

function dot(a: readonly number[], b: readonly number[]): number {
  return a.reduce((s, x, k) => s + x * (b[k] as number), 0);
}

/** `v` minus its parts along each of the unit vectors `basis` (Gram-Schmidt). */
function orthogonalTo(v: number[], basis: readonly number[][]): number[] {
  let out = v;
  for (const b of basis) {
    const along = dot(out, b);
    out = out.map((x, d) => x - along * (b[d] as number));
  }
  return out;
}

/**
 * The first `components` principal components of the points (each an array of `dims` numbers).
 * Power iteration: repeatedly multiplying a direction by the covariance C turns it towards C's
 * top eigenvector; removing from every product the directions already found (projecting them
 * out) turns it towards the next one instead.
 */
export function pca(rows: ReadonlyArray<ArrayLike<number>>, options: Partial<PcaOptions> = {}): PcaResult {
  const o = { ...PCA_DEFAULTS, ...options };
  const dims = checkRows(rows, 'pca');
  if (!Number.isInteger(o.components) || o.components < 1 || o.components > dims) {
    throw new Error(
      `pca: components must be an integer from 1 to ${dims} (the points' dimensions), got ${o.components}`,
    );
  }
  const mean = meanPoint(rows);
  const cov = covarianceMatrix(rows);
  const total = cov.reduce((s, row, d) => s + (row[d] as number), 0);
  const random = mulberry32(o.seed);
  const components: number[][] = [];
  const variances: number[] = [];
  const iterations: number[] = [];
  const converged: boolean[] = [];
  for (let k = 0; k < o.components; k++) {
    // A random start is (almost surely) not orthogonal to the top eigenvector.
    let v = Array.from({ length: dims }, () => random() - 0.5);
    v = v.map((x) => x / norm(v));
    v = orthogonalTo(v, components);
    v = v.map((x) => x / norm(v));
    // A zero product means nothing is left: every remaining direction has zero variance.
    const found = powerIterate((u) => orthogonalTo(multiply(cov, u), components), v, o);
    v = found.direction;
    let largest = 0;
    for (let d = 1; d < dims; d++) if (Math.abs(v[d] as number) > Math.abs(v[largest] as number)) largest = d;
    if ((v[largest] as number) < 0) v = v.map((x) => -x);
    // The variance along v is vᵀCv. (‖Cv‖ equals it only once v is an eigenvector, and the last
    // ‖Cv‖ of the loop belongs to the direction before the final one.)
    const lambda = dot(v, multiply(cov, v));
    components.push(v);
    variances.push(lambda);
    iterations.push(found.iterations);
    converged.push(found.converged);
  }
  const projections = rows.map((r) =>
    components.map((c) => c.reduce((s, x, d) => s + x * ((r[d] as number) - (mean[d] as number)), 0)),
  );
  return {
    mean,
    components,
    variances,
    explained: variances.map((v) => (total === 0 ? 0 : v / total)),
    projections,
    iterations,
    converged,
  };
}
