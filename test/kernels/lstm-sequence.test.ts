/**
 * The LSTM sequence kernels on their own: fusedLstmSequence (tfjs ops, every backend) and
 * nativeLstmSequence (libtensorflow's LSTM kernels, tensorflow only) against the LSTM equations
 * written out, against each other over a whole digit, and their shape checks. The layer around
 * them is tested against tf.layers.lstm in test/models/fused-lstm.test.ts.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { patchWasmKernels } from '../../src/kernels/wasm';
import { fusedLstmSequence } from '../../src/kernels/lstm-sequence';
import { nativeLstmSequence } from '../../src/kernels/native/lstm-sequence';
import { addonLstmSequence, lstmAddon, lstmAddonProblem } from '../../src/kernels/native/lstm-addon';
import { describeOnBackends, tensorflowRequired } from '../backends';

/** Largest difference allowed, as a fraction of the largest entry (or absolute, for entries under 1). */
const TOLERANCE = 1e-4;

function assertTensorsClose(actual: readonly tf.Tensor[], expected: readonly tf.Tensor[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((a, k) => {
    const e = expected[k] as tf.Tensor;
    assert.deepEqual(a.shape, e.shape, `${what} [${k}]: shape`);
    // Relative to the largest entry: a weight gradient summed over 3,584 rows reaches tens, and
    // float32 sums in another order differ in their last bits.
    const [diff, scale] = tf.tidy(() =>
      [tf.max(tf.abs(tf.sub(a, e))), tf.max(tf.abs(e))].map((t) => t.dataSync()[0] ?? NaN),
    );
    assert.ok(
      (diff as number) < TOLERANCE * Math.max(1, scale as number),
      `${what} [${k}]: max |difference| ${diff}, largest entry ${scale}`,
    );
  });
}

type Sequence = typeof fusedLstmSequence;

describeOnBackends('LSTM sequence kernels', (backend) => {
  before(() => {
    if (backend === 'wasm') patchWasmKernels();
  });
  const sequences: [string, Sequence][] = [['fusedLstmSequence', fusedLstmSequence]];
  if (backend === 'tensorflow') sequences.push(['nativeLstmSequence', nativeLstmSequence]);
  // The addon takes Float32Arrays, so it runs under any backend; it is used on tensorflow.
  if (lstmAddon() !== undefined) sequences.push(['addonLstmSequence', addonLstmSequence]);
  else if (tensorflowRequired())
    test('the LSTM addon is built (npm run native)', () => assert.fail(`not built: ${lstmAddonProblem()}`));

  // tf.layers.lstm cannot take gradients over a single time step (its Unpack gradient fails),
  // so one step is checked against the LSTM equations written out.
  for (const [name, sequence] of sequences)
    test(`${name} matches the LSTM equations on a single time step`, () => {
      tf.tidy(() => {
        const [batch, inputDim, units] = [3, 4, 5];
        const x = tf.randomNormal([batch, 1, inputDim], 0, 1, 'float32', 1);
        const kernel = tf.randomNormal([inputDim, 4 * units], 0, 0.5, 'float32', 2);
        const recurrent = tf.randomNormal([units, 4 * units], 0, 0.5, 'float32', 3);
        const bias = tf.randomNormal([4 * units], 0, 0.5, 'float32', 4);
        const dy = tf.randomNormal([batch, units], 0, 1, 'float32', 5);
        const equations = (xs: tf.Tensor, k: tf.Tensor, _r: tf.Tensor, b: tf.Tensor): tf.Tensor => {
          // h_0 = c_0 = 0, so the recurrent kernel does not enter the first step.
          const z = tf.add(tf.matMul(tf.reshape(xs, [batch, inputDim]), k), b);
          const [i, , g, o] = tf.split(z, 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
          const c = tf.mul(tf.sigmoid(i), tf.tanh(g));
          return tf.mul(tf.sigmoid(o), tf.tanh(c));
        };
        const lossOf =
          (f: (...t: tf.Tensor[]) => tf.Tensor) =>
          (...t: tf.Tensor[]): tf.Tensor =>
            tf.sum(tf.mul(f(...t), dy));
        const fused = (xs: tf.Tensor, k: tf.Tensor, r: tf.Tensor, b: tf.Tensor): tf.Tensor =>
          sequence(xs as tf.Tensor3D, k as tf.Tensor2D, r as tf.Tensor2D, b as tf.Tensor1D, false);
        const args = [x, kernel, recurrent, bias];
        const actual = [fused(x, kernel, recurrent, bias), ...tf.grads(lossOf(fused))(args)];
        const withoutRecurrent = (xs: tf.Tensor, k: tf.Tensor, b: tf.Tensor): tf.Tensor =>
          equations(xs, k, recurrent, b);
        const [dx, dKernel, dBias] = tf.grads(lossOf(withoutRecurrent))([x, kernel, bias]) as [
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
        ];
        const expected = [equations(x, kernel, recurrent, bias), dx, dKernel, tf.zerosLike(recurrent), dBias];
        assertTensorsClose(actual, expected, 'output, dx, dKernel, dRecurrent, dBias');
      });
    });

  for (const [name, sequence] of sequences)
    test(`${name} checks shapes`, () => {
      tf.tidy(() => {
        const x = tf.zeros([2, 3, 4]) as tf.Tensor3D;
        assert.throws(() => sequence(x, tf.zeros([5, 8]), tf.zeros([2, 8]), tf.zeros([8]), false), /shapes do not fit/);
        assert.throws(
          () => sequence(tf.zeros([2, 0, 4]), tf.zeros([4, 8]), tf.zeros([2, 8]), tf.zeros([8]), false),
          /at least one time step/,
        );
      });
    });

  const others = sequences.filter(([name]) => name !== 'fusedLstmSequence');
  // Shapes that fill the addon's register tiles and shapes that leave edges: batch rows past a
  // tile, gate columns past a vector, units not a multiple of any vector width.
  for (const [name, sequence] of others)
    for (const [batch, steps, inputDim, units] of [
      [4, 28, 28, 16],
      [37, 28, 28, 21],
      [128, 28, 28, 128],
    ] as const)
      test(`${name} computes what fusedLstmSequence does over ${steps} rows, batch ${batch}, ${units} units: output and every gradient`, () => {
        tf.tidy(() => {
          const x = tf.randomNormal([batch, steps, inputDim], 0, 1, 'float32', 11);
          const kernel = tf.randomNormal([inputDim, 4 * units], 0, 0.3, 'float32', 12);
          const recurrent = tf.randomNormal([units, 4 * units], 0, 0.3, 'float32', 13);
          const bias = tf.randomNormal([4 * units], 0, 0.3, 'float32', 14);
          for (const returnSequences of [false, true]) {
            const dy = tf.randomNormal(returnSequences ? [batch, steps, units] : [batch, units], 0, 1, 'float32', 15);
            const withGrads = (s: Sequence): tf.Tensor[] => {
              const f = (xs: tf.Tensor, k: tf.Tensor, r: tf.Tensor, b: tf.Tensor): tf.Tensor =>
                s(xs as tf.Tensor3D, k as tf.Tensor2D, r as tf.Tensor2D, b as tf.Tensor1D, returnSequences);
              const loss = (...t: tf.Tensor[]): tf.Tensor => tf.sum(tf.mul(f(t[0]!, t[1]!, t[2]!, t[3]!), dy));
              return [f(x, kernel, recurrent, bias), ...tf.grads(loss)([x, kernel, recurrent, bias])];
            };
            assertTensorsClose(
              withGrads(sequence),
              withGrads(fusedLstmSequence),
              `returnSequences ${returnSequences}: output, dx, dKernel, dRecurrent, dBias`,
            );
          }
        });
      });
});
