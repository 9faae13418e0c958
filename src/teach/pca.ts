/**
 * Principal component analysis in plain TypeScript (float64): the directions along which a cloud
 * of points (e.g. final hidden states, one per digit) spreads most, found by power iteration on
 * the covariance matrix with deflation. Notebook 7 projects 64- or 128-unit states onto the first
 * two to draw them.
 */
import { mulberry32 } from '../random';

/** Options of `pca`. */
export interface PcaOptions {
  /** How many principal components to find. */
  readonly components: number;
  /** Most power-iteration steps per component. */
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
  /** Variance of the points along each component (eigenvalues of the covariance). [components] */
  readonly variances: number[];
  /** Each variance as a fraction of the total variance (trace of the covariance). [components] */
  readonly explained: number[];
  /** Each point's coordinates along the components, after subtracting the mean. [points][components] */
  readonly projections: number[][];
  /** Power-iteration steps each component took. [components] */
  readonly iterations: number[];
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

function norm(v: readonly number[]): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

/**
 * The first `components` principal components of the points (each an array of `dims` numbers).
 * Power iteration: repeatedly multiplying a direction by the covariance C turns it towards C's
 * top eigenvector; removing that eigenvector from C (C - λvvᵀ, deflation) leaves the next one on top.
 */
export function pca(rows: ReadonlyArray<ArrayLike<number>>, options: Partial<PcaOptions> = {}): PcaResult {
  const o = { ...PCA_DEFAULTS, ...options };
  const dims = checkRows(rows, 'pca');
  if (!Number.isInteger(o.components) || o.components < 1 || o.components > dims) {
    throw new Error(`pca: components must be an integer from 1 to ${dims} (the points' dimensions), got ${o.components}`);
  }
  const mean = meanPoint(rows);
  const cov = covarianceMatrix(rows);
  const total = cov.reduce((s, row, d) => s + (row[d] as number), 0);
  const random = mulberry32(o.seed);
  const components: number[][] = [];
  const variances: number[] = [];
  const iterations: number[] = [];
  for (let k = 0; k < o.components; k++) {
    // A random start is (almost surely) not orthogonal to the top eigenvector.
    let v = Array.from({ length: dims }, () => random() - 0.5);
    v = v.map((x) => x / norm(v));
    let lambda = 0;
    let steps = 0;
    for (; steps < o.maxIterations; steps++) {
      const w = multiply(cov, v);
      lambda = norm(w);
      if (lambda === 0) break; // nothing left: every remaining direction has zero variance
      const next = w.map((x) => x / lambda);
      const moved = norm(next.map((x, d) => x - (v[d] as number)));
      v = next;
      if (moved < o.tolerance) break;
    }
    let largest = 0;
    for (let d = 1; d < dims; d++) if (Math.abs(v[d] as number) > Math.abs(v[largest] as number)) largest = d;
    if ((v[largest] as number) < 0) v = v.map((x) => -x);
    components.push(v);
    variances.push(lambda);
    iterations.push(steps);
    for (let a = 0; a < dims; a++) {
      const row = cov[a] as number[];
      for (let b = 0; b < dims; b++) row[b] = (row[b] as number) - lambda * (v[a] as number) * (v[b] as number);
    }
  }
  const projections = rows.map((r) => components.map((c) => c.reduce((s, x, d) => s + x * ((r[d] as number) - (mean[d] as number)), 0)));
  return {
    mean,
    components,
    variances,
    explained: variances.map((v) => (total === 0 ? 0 : v / total)),
    projections,
    iterations,
  };
}
