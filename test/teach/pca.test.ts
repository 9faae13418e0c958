import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../src/random';
import { covarianceMatrix, meanPoint, pca } from '../../src/teach/pca';

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: the reference, computed another way than power iteration. */
function jacobiEigen(matrix: number[][]): { values: number[]; vectors: number[][] } {
  const n = matrix.length;
  const a = matrix.map((row) => [...row]);
  const v = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  const at = (i: number, j: number): number => (a[i] as number[])[j] as number;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += at(p, q) ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(at(p, q)) < 1e-300) continue;
        const theta = (at(q, q) - at(p, p)) / (2 * at(p, q));
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = at(k, p);
          const akq = at(k, q);
          (a[k] as number[])[p] = c * akp - s * akq;
          (a[k] as number[])[q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = at(p, k);
          const aqk = at(q, k);
          (a[p] as number[])[k] = c * apk - s * aqk;
          (a[q] as number[])[k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = (v[k] as number[])[p] as number;
          const vkq = (v[k] as number[])[q] as number;
          (v[k] as number[])[p] = c * vkp - s * vkq;
          (v[k] as number[])[q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => at(j, j) - at(i, i));
  return { values: order.map((i) => at(i, i)), vectors: order.map((i) => v.map((row) => row[i] as number)) };
}

const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, x, k) => s + x * (b[k] as number), 0);

/** Points spread with standard deviations `stds` along the orthonormal `axes`, around `centre`, from a seeded normal generator. */
function cloud(count: number, centre: number[], axes: number[][], stds: number[], seed: number): number[][] {
  const random = mulberry32(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: count }, () => {
    const p = [...centre];
    axes.forEach((axis, k) => {
      const amount = normal() * (stds[k] as number);
      axis.forEach((x, d) => {
        p[d] = (p[d] as number) + amount * x;
      });
    });
    return p;
  });
}

test('pca finds the known axes of a hand-made cloud (3-D, rotated, std 3, 1, 0.1)', () => {
  const s = Math.SQRT1_2;
  const axes = [
    [s, s, 0],
    [-s, s, 0],
    [0, 0, 1],
  ];
  const points = cloud(4000, [5, -2, 1], axes, [3, 1, 0.1], 3);
  const r = pca(points, { components: 2 });
  // The sign convention puts each component's largest entry positive.
  assert.ok(Math.abs(dot(r.components[0] as number[], axes[0] as number[])) > 0.999, `first axis ${r.components[0]}`);
  assert.ok(Math.abs(dot(r.components[1] as number[], axes[1] as number[])) > 0.999, `second axis ${r.components[1]}`);
  assert.ok(Math.abs((r.variances[0] as number) / 9 - 1) < 0.08, `variance 1 ${r.variances[0]}`);
  assert.ok(Math.abs((r.variances[1] as number) - 1) < 0.08, `variance 2 ${r.variances[1]}`);
  assert.ok(Math.abs((r.explained[0] as number) - 9 / 10.01) < 0.02);
  r.mean.forEach((m, d) => assert.ok(Math.abs(m - ([5, -2, 1][d] as number)) < 0.15, `mean[${d}] ${m}`));
  // Projections: centred coordinates along the components, with the components' variances.
  const p0 = r.projections.map((p) => p[0] as number);
  const variance = p0.reduce((a, x) => a + x * x, 0) / (p0.length - 1);
  assert.ok(Math.abs(variance - (r.variances[0] as number)) < 1e-6 * variance);
  assert.ok(Math.abs(p0.reduce((a, x) => a + x, 0) / p0.length) < 1e-9);
});

test('pca agrees with a Jacobi eigen-decomposition of the covariance on random 12-D data', () => {
  const random = mulberry32(9);
  // Correlated data: random points times a random matrix, so the eigenvalues are distinct.
  const mix = Array.from({ length: 12 }, () => Array.from({ length: 12 }, () => random() - 0.5));
  const points = Array.from({ length: 300 }, () => {
    const z = Array.from({ length: 12 }, () => random() - 0.5);
    return mix.map((row) => dot(row, z));
  });
  const r = pca(points, { components: 4 });
  const reference = jacobiEigen(covarianceMatrix(points));
  for (let k = 0; k < 4; k++) {
    const expected = reference.values[k] as number;
    assert.ok(
      Math.abs((r.variances[k] as number) - expected) < 1e-9 * Math.max(1, expected),
      `eigenvalue ${k}: ${r.variances[k]} vs ${expected}`,
    );
    const alignment = Math.abs(dot(r.components[k] as number[], reference.vectors[k] as number[]));
    assert.ok(alignment > 1 - 1e-8, `eigenvector ${k} alignment ${alignment}`);
  }
  // Components are orthonormal.
  for (let a = 0; a < 4; a++)
    for (let b = 0; b < 4; b++) {
      assert.ok(Math.abs(dot(r.components[a] as number[], r.components[b] as number[]) - (a === b ? 1 : 0)) < 1e-8);
    }
});

test('covarianceMatrix and meanPoint on a tiny example; pca is deterministic and checks its input', () => {
  const points = [
    [1, 2],
    [3, 6],
    [5, 10],
  ];
  assert.deepEqual(meanPoint(points), [3, 6]);
  assert.deepEqual(covarianceMatrix(points), [
    [4, 8],
    [8, 16],
  ]);
  const a = pca(points, { components: 1 });
  assert.deepEqual(a, pca(points, { components: 1 }));
  assert.ok(Math.abs((a.variances[0] as number) - 20) < 1e-9);
  assert.ok(Math.abs((a.explained[0] as number) - 1) < 1e-12);
  assert.ok((a.components[0]?.[1] ?? 0) > 0, 'largest entry positive');
  assert.throws(() => pca([[1, 2]]), /at least 2 points/);
  assert.throws(() => pca([[1, 2], [3]]), /point 1 has 1 coordinates/);
  assert.throws(() => pca(points, { components: 3 }), /components must be an integer from 1 to 2/);
});

/** Sample variance (n - 1) of the points' coordinates along a unit direction: the variance computed directly. */
function varianceAlong(points: number[][], direction: readonly number[]): number {
  const along = points.map((p) => dot(p, direction as number[]));
  const mean = along.reduce((a, x) => a + x, 0) / along.length;
  return along.reduce((a, x) => a + (x - mean) ** 2, 0) / (along.length - 1);
}

test('pca variances are the variance along the direction returned, even when the iteration stops early', () => {
  // Two nearly equal spreads (std 1 and 0.99): power iteration turns slowly between them, so a
  // cap of 5 steps stops it far from an eigenvector.
  const points = cloud(
    2000,
    [0, 0, 0],
    [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ],
    [1, 0.99, 0.2],
    5,
  );
  for (const maxIterations of [5, 2000]) {
    const r = pca(points, { components: 2, maxIterations });
    r.components.forEach((c, k) => {
      const direct = varianceAlong(points, c);
      assert.ok(
        Math.abs((r.variances[k] as number) - direct) < 1e-9 * direct,
        `maxIterations ${maxIterations}, component ${k}: variance ${r.variances[k]}, directly ${direct}`,
      );
    });
  }
});

test('pca reports which components converged instead of stopping silently at its cap', () => {
  const points = cloud(
    2000,
    [0, 0, 0],
    [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ],
    [1, 0.99, 0.2],
    5,
  );
  const capped = pca(points, { components: 2, maxIterations: 5 });
  assert.deepEqual(capped.iterations, [5, 5]);
  assert.deepEqual(capped.converged, [false, false]);
  const free = pca(points, { components: 2 });
  assert.deepEqual(free.converged, [true, true]);
  assert.ok((free.iterations[0] as number) < 2000);
});
