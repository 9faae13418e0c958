import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spectralNorm } from '../../src/teach/spectral';

/** Singular values of a 2 x 2 matrix in closed form: σ² are the eigenvalues of MᵀM. */
function singularValues2x2([[a, b], [c, d]]: number[][] & [[number, number], [number, number]]): [number, number] {
  const p = a * a + c * c; // (MᵀM)_11
  const q = a * b + c * d; // (MᵀM)_12
  const r = b * b + d * d; // (MᵀM)_22
  const mean = (p + r) / 2;
  const spread = Math.sqrt(((p - r) / 2) ** 2 + q * q);
  return [Math.sqrt(mean + spread), Math.sqrt(Math.max(0, mean - spread))];
}

test('spectralNorm matches the closed form of 2 x 2 matrices', () => {
  for (const m of [
    [
      [2, 1],
      [0, 3],
    ],
    [
      [1, -4],
      [0.5, 2],
    ],
    [
      [0.3, 0],
      [0, -0.7],
    ],
  ] as const) {
    const matrix = m.map((row) => [...row]) as number[][] & [[number, number], [number, number]];
    const [top] = singularValues2x2(matrix);
    const r = spectralNorm(matrix);
    assert.ok(r.converged);
    assert.ok(Math.abs(r.value - top) < 1e-10 * top, `${JSON.stringify(m)}: ${r.value} vs ${top}`);
  }
});

test('a scaled rotation stretches every vector by its scale; a diagonal matrix by its largest |entry|', () => {
  // s times a product of plane rotations: orthogonal, so every singular value is s.
  const n = 6;
  let q: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (const [i, j, angle] of [
    [0, 1, 0.3],
    [2, 4, 1.1],
    [1, 5, -0.7],
    [3, 0, 2.0],
  ] as const) {
    q = q.map((row) => {
      const out = [...row];
      out[i] = Math.cos(angle) * (row[i] as number) - Math.sin(angle) * (row[j] as number);
      out[j] = Math.sin(angle) * (row[i] as number) + Math.cos(angle) * (row[j] as number);
      return out;
    });
  }
  for (const s of [0.5, 1, 1.25]) {
    const r = spectralNorm(q.map((row) => row.map((x) => s * x)));
    assert.ok(Math.abs(r.value - s) < 1e-9, `s = ${s}: ${r.value}`);
  }
  const diagonal = spectralNorm([
    [0.5, 0, 0],
    [0, -2, 0],
    [0, 0, 1.5],
  ]);
  assert.ok(Math.abs(diagonal.value - 2) < 1e-9);
  assert.ok(
    Math.abs(Math.abs(diagonal.direction[1] as number) - 1) < 1e-6,
    'the direction stretched most is the second axis',
  );
});

test('spectralNorm reports a capped iteration and checks its input', () => {
  // Top singular values 1 and 0.999: power iteration turns slowly, 3 steps are not enough.
  const r = spectralNorm(
    [
      [1, 0, 0],
      [0, 0.999, 0],
      [0, 0, 0.1],
    ],
    { maxIterations: 3 },
  );
  assert.equal(r.converged, false);
  assert.equal(r.iterations, 3);
  assert.equal(
    spectralNorm([
      [0, 0],
      [0, 0],
    ]).value,
    0,
  );
  assert.throws(() => spectralNorm([]), /the matrix is empty/);
  assert.throws(() => spectralNorm([[1, 2], [3]]), /row 1 has 1 entries, row 0 has 2/);
});
