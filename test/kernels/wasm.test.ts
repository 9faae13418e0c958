/**
 * The wasm kernel fixes compute what the kernels they replace compute: outputs and gradients
 * against the unpatched wasm kernels and the cpu backend, on random shapes (batch > 1
 * included), to 1e-5; and they leak neither tensors nor backend data.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../src/backend';
import {
  PATCHED_KERNELS,
  originalWasmKernel,
  patchWasmKernels,
  unpatchWasmKernels,
  wasmKernelsPatched,
} from '../../src/kernels/wasm';

const TOLERANCE = 1e-5;

/** Deterministic uniform numbers in [-scale, scale) (mulberry32). */
function randomValues(count: number, seed: number, scale = 1): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let r = Math.imul(state ^ (state >>> 15), 1 | state);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    out[i] = ((((r ^ (r >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** Deterministic integers in [0, n). */
function randomInts(count: number, n: number, seed: number): number[] {
  return Array.from(randomValues(count, seed), (v) => Math.min(n - 1, Math.floor(((v + 1) / 2) * n)));
}

interface Input {
  readonly shape: number[];
  readonly values: Float32Array;
}

function input(shape: number[], seed: number, scale = 1): Input {
  return { shape, values: randomValues(tf.util.sizeFromShape(shape), seed, scale) };
}

/** What one op computes: its outputs and the gradients of sum(outputs · random) w.r.t. its inputs. */
type Computed = Float32Array[];

interface CheckOptions {
  /** Also compare gradients (default true). */
  readonly gradients?: boolean;
  /** Skip the comparison with the unpatched wasm kernel, for the reason given. */
  readonly unpatchedIsWrong?: string;
}

/**
 * Runs `op` on fresh tensors made from `inputs` in the current backend and returns its outputs
 * and input gradients (dy random, fixed by `seed`), as plain arrays.
 */
function compute(
  op: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
  inputs: readonly Input[],
  seed: number,
  options: CheckOptions,
): Computed {
  return tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.values, i.shape));
    const outs = [op(...xs)].flat();
    if (options.gradients === false) return outs.map((t) => t.dataSync() as Float32Array);
    const dys = outs.map((o, k) => tf.tensor(randomValues(o.size, seed + 1000 + k), o.shape));
    const grads = tf.grads((...args: tf.Tensor[]) => {
      const ys = [op(...args)].flat();
      return tf.addN(ys.map((y, k) => tf.sum(tf.mul(y, dys[k] as tf.Tensor))));
    })(xs);
    return [...outs, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

function assertClose(actual: Computed, expected: Computed, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: number of outputs`);
  actual.forEach((a, k) => {
    const e = expected[k] as Float32Array;
    assert.equal(a.length, e.length, `${what}: size of output ${k}`);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] ?? 0) - (e[i] ?? 0)));
    assert.ok(worst <= TOLERANCE, `${what}: output/gradient ${k} differs by ${worst}`);
  });
}

/**
 * Computes `op` with the patched wasm kernels, the original wasm kernels and the cpu backend,
 * asserts they agree, and that the patched run leaves no tensor or backend data behind.
 */
async function checkAgainstReferences(
  what: string,
  op: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
  inputs: readonly Input[],
  seed: number,
  options: CheckOptions = {},
): Promise<void> {
  const tensorsBefore = tf.memory().numTensors;
  const dataBefore = tf.engine().backend.numDataIds();
  const patched = compute(op, inputs, seed, options);
  assert.equal(tf.memory().numTensors, tensorsBefore, `${what}: tensors leaked`);
  assert.equal(tf.engine().backend.numDataIds(), dataBefore, `${what}: wasm data leaked`);

  if (options.unpatchedIsWrong === undefined) {
    unpatchWasmKernels();
    try {
      assertClose(patched, compute(op, inputs, seed, options), `${what} vs unpatched wasm`);
    } finally {
      patchWasmKernels();
    }
  }
  await tf.setBackend('cpu');
  try {
    assertClose(patched, compute(op, inputs, seed, options), `${what} vs cpu`);
  } finally {
    await tf.setBackend('wasm');
  }
}

before(async () => {
  await setupBackend({ backend: 'wasm' });
  await setupBackend({ backend: 'cpu' });
  await setupBackend({ backend: 'wasm' });
  // Makes tfjs check every kernel call for leaked backend data (it throws if one leaks).
  tf.env().set('IS_TEST', true);
  patchWasmKernels();
});

after(() => {
  tf.env().set('IS_TEST', false);
});

describe('patchWasmKernels', () => {
  test('is idempotent, can be undone, and touches only wasm kernels', () => {
    const cpuBefore = PATCHED_KERNELS.map((name) => tf.getKernel(name, 'cpu'));
    patchWasmKernels();
    patchWasmKernels();
    assert.equal(wasmKernelsPatched(), true);
    const originals = PATCHED_KERNELS.map((name) => originalWasmKernel(name));
    assert.ok(
      originals.every((o) => o !== undefined),
      'every patched kernel keeps its original',
    );
    const patchedFuncs = PATCHED_KERNELS.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc);
    patchWasmKernels();
    assert.deepEqual(
      PATCHED_KERNELS.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc),
      patchedFuncs,
      'second patch wraps nothing',
    );

    unpatchWasmKernels();
    assert.equal(wasmKernelsPatched(), false);
    PATCHED_KERNELS.forEach((name, i) => {
      assert.equal(tf.getKernel(name, 'wasm')?.kernelFunc, originals[i]?.kernelFunc, `${name} restored`);
    });
    patchWasmKernels();
    assert.equal(wasmKernelsPatched(), true);
    assert.deepEqual(
      PATCHED_KERNELS.map((name) => tf.getKernel(name, 'cpu')),
      cpuBefore,
      'cpu kernels untouched',
    );
  });
});

describe('BatchMatMul with transposed inputs', () => {
  // [outer batch dims of a, of b, m, k, n]: 2-D, batched (batch > 1), and broadcast batch dims.
  const cases: [number[], number[], number, number, number][] = [
    [[], [], 5, 7, 3],
    [[], [], 1, 9, 4],
    [[4], [4], 6, 5, 3],
    [[3], [1], 2, 8, 5],
    [[2, 3], [2, 3], 4, 3, 6],
  ];
  for (const [i, [batchA, batchB, m, k, n]] of cases.entries()) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const what = `a [${batchA}|${m}x${k}] b [${batchB}|${k}x${n}] tA=${transposeA} tB=${transposeB}`;
        test(what, async () => {
          const a = input([...batchA, ...(transposeA ? [k, m] : [m, k])], 10 * i + 1);
          const b = input([...batchB, ...(transposeB ? [n, k] : [k, n])], 10 * i + 2);
          // tfjs's matMul gradient does not reduce broadcast batch dims (on any backend).
          const gradients = batchA.join() === batchB.join();
          await checkAgainstReferences(
            what,
            (x, y) => tf.matMul(x as tf.Tensor, y as tf.Tensor, transposeA, transposeB),
            [a, b],
            i,
            { gradients },
          );
        });
      }
    }
  }

  // The unpatched wasm kernel is wrong here: its naive (transposed) path indexes a rank-1 bias
  // by flat output position, so rows after the first get the last bias value. The fix runs
  // XNNPACK's path, which broadcasts the bias correctly; cpu is the reference.
  test('_FusedMatMul (bias, relu) with transposed inputs, against cpu', async () => {
    for (const [transposeA, transposeB] of [
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const a = input(transposeA ? [7, 5] : [5, 7], 3);
      const b = input(transposeB ? [4, 7] : [7, 4], 4);
      const bias = input([4], 5);
      await checkAgainstReferences(
        `fused tA=${transposeA} tB=${transposeB}`,
        (x, y, z) =>
          tf.fused.matMul({
            a: x as tf.Tensor2D,
            b: y as tf.Tensor2D,
            bias: z,
            transposeA,
            transposeB,
            activation: 'relu',
          }),
        [a, b, bias],
        7,
        { unpatchedIsWrong: 'bias broadcast in the naive path' },
      );
    }
  });
});

describe('Slice, SplitV, Unpack and Concat through heap views', () => {
  test('slices random boxes of random shapes (rank 1 to 5)', async () => {
    for (let trial = 0; trial < 24; trial++) {
      const rank = 1 + (trial % 5);
      const shape = randomInts(rank, 5, 100 + trial).map((d) => d + 1);
      const begin = shape.map((d, axis) => randomInts(1, d, 200 + trial * 7 + axis)[0] ?? 0);
      // -1 means "to the end" in tf.slice; use it on one axis in every third trial.
      const size = shape.map((d, axis) =>
        trial % 3 === 0 && axis === 0
          ? -1
          : 1 + (randomInts(1, d - (begin[axis] ?? 0), 300 + trial * 7 + axis)[0] ?? 0),
      );
      const what = `slice [${shape}] begin [${begin}] size [${size}]`;
      await checkAgainstReferences(what, (x) => tf.slice(x as tf.Tensor, begin, size), [input(shape, trial)], trial);
    }
  });

  test('slices a whole tensor, a single element, and the per-step rows of [batch, steps, features]', async () => {
    await checkAgainstReferences('whole', (x) => tf.slice(x as tf.Tensor, [0, 0], [3, 4]), [input([3, 4], 1)], 1);
    await checkAgainstReferences(
      'element',
      (x) => tf.slice(x as tf.Tensor, [1, 2, 3], [1, 1, 1]),
      [input([2, 3, 4], 2)],
      2,
    );
    await checkAgainstReferences(
      'step',
      (x) => tf.slice(x as tf.Tensor, [0, 5, 0], [16, 1, 28]),
      [input([16, 28, 28], 3)],
      3,
    );
  });

  test('slices int32 and bool tensors', () => {
    const ints = tf.tensor2d(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [2, 3],
      'int32',
    );
    assert.deepEqual(tf.slice(ints, [0, 1], [2, 2]).arraySync(), [
      [2, 3],
      [5, 6],
    ]);
    const bools = tf.tensor2d(
      [
        [true, false, true],
        [false, true, false],
      ],
      [2, 3],
      'bool',
    );
    assert.deepEqual(tf.slice(bools, [1, 0], [1, 2]).arraySync(), [[0, 1]]);
    tf.dispose([ints, bools]);
  });

  test('splits along every axis, evenly and by sizes', async () => {
    const shape = [4, 6, 8];
    for (let axis = -1; axis < 3; axis++) {
      const dim = shape.at(axis) ?? 1;
      await checkAgainstReferences(
        `split even axis ${axis}`,
        (x) => tf.split(x as tf.Tensor, 2, axis),
        [input(shape, 10 + axis)],
        axis + 10,
      );
      const sizes = [1, dim - 3, 2];
      await checkAgainstReferences(
        `split [${sizes}] axis ${axis}`,
        (x) => tf.split(x as tf.Tensor, sizes, axis),
        [input(shape, 20 + axis)],
        axis + 20,
      );
    }
    // The LSTM's gate split: [batch, 4 * units] into four [batch, units].
    await checkAgainstReferences('gates', (x) => tf.split(x as tf.Tensor, 4, 1), [input([32, 64], 30)], 30);
  });

  test('unstacks along every axis', async () => {
    const shape = [3, 5, 2, 4];
    for (let axis = -1; axis < 4; axis++) {
      await checkAgainstReferences(
        `unstack axis ${axis}`,
        (x) => tf.unstack(x as tf.Tensor, axis),
        [input(shape, 40 + axis)],
        axis + 40,
      );
    }
    const pieces = tf.unstack(tf.zeros([2, 3, 4]), 1);
    assert.deepEqual(
      pieces.map((p) => p.shape),
      [
        [2, 4],
        [2, 4],
        [2, 4],
      ],
    );
    tf.dispose(pieces);
  });
});

describe('Concat with one copy per run', () => {
  test('concatenates along every axis, with empty and unequal pieces', async () => {
    for (let axis = -1; axis < 3; axis++) {
      const shapes = [0, 1, 2].map((k) => {
        const shape = [3, 4, 5];
        shape[(axis + 3) % 3] = k + 1;
        return shape;
      });
      const inputs = shapes.map((shape, k) => input(shape, 60 + 3 * axis + k));
      await checkAgainstReferences(`concat axis ${axis}`, (...xs) => tf.concat(xs, axis), inputs, 60 + axis);
    }
    const empty = input([3, 0], 70);
    await checkAgainstReferences(
      'concat with an empty piece',
      (a, b, c) => tf.concat([a as tf.Tensor, b as tf.Tensor, c as tf.Tensor], 1),
      [input([3, 2], 71), empty, input([3, 4], 72)],
      70,
      { gradients: false },
    );
    // The fused LSTM's backward pass: 28 pieces [512, 128] side by side.
    const pieces = Array.from({ length: 28 }, (_, k) => input([16, 8], 80 + k));
    await checkAgainstReferences('28 pieces, axis 1', (...xs) => tf.concat(xs, 1), pieces, 80);
  });

  test('concatenates int32 tensors', () => {
    const joined = tf.tidy(() =>
      tf
        .concat(
          [
            tf.tensor2d([[1], [2]], [2, 1], 'int32'),
            tf.tensor2d(
              [
                [3, 4],
                [5, 6],
              ],
              [2, 2],
              'int32',
            ),
          ],
          1,
        )
        .arraySync(),
    );
    assert.deepEqual(joined, [
      [1, 3, 4],
      [2, 5, 6],
    ]);
  });
});

describe('Tanh as 2·sigmoid(2x) - 1', () => {
  test('matches tanh on small, moderate and saturating inputs', async () => {
    for (const [shape, scale] of [
      [[7], 0.001],
      [[5, 9], 3],
      [[4, 3, 64], 12],
      [[128, 128], 40],
    ] as const) {
      await checkAgainstReferences(
        `tanh [${shape}] x${scale}`,
        (x) => tf.tanh(x as tf.Tensor),
        [input([...shape], 50 + scale, scale)],
        50,
      );
    }
  });

  test('keeps special values', () => {
    const y = tf.tanh(tf.tensor1d([0, Infinity, -Infinity, NaN, 1e-30]));
    const values = Array.from(y.dataSync());
    assert.deepEqual(values.slice(0, 3), [0, 1, -1]);
    assert.ok(Number.isNaN(values[3]));
    assert.ok(Math.abs(values[4] ?? 1) < 1e-7);
    y.dispose();
  });
});
