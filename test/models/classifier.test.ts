/**
 * The tutorial's cost, `softmaxCrossEntropy`, on every backend: on tensorflow it is libtensorflow's
 * fused SoftmaxCrossEntropyWithLogits, elsewhere tfjs's composition. Both are checked against the
 * same float64 arithmetic, value and gradients, and against each other.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { softmaxCrossEntropy } from '../../src/models';
import { describeOnBackends } from '../backends';

/** Mean over rows of -sum_k y_k log softmax(z)_k, with dL/dz and dL/dy, in float64. */
function reference(logits: number[][], labels: number[][]): { loss: number; dLogits: number[][]; dLabels: number[][] } {
  const batch = logits.length;
  let loss = 0;
  const dLogits: number[][] = [];
  const dLabels: number[][] = [];
  logits.forEach((z, b) => {
    const y = labels[b] as number[];
    const max = Math.max(...z);
    const logSum = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
    const logSoftmax = z.map((v) => v - logSum);
    const ySum = y.reduce((s, v) => s + v, 0);
    loss -= logSoftmax.reduce((s, l, k) => s + (y[k] as number) * l, 0) / batch;
    dLogits.push(logSoftmax.map((l, k) => (Math.exp(l) * ySum - (y[k] as number)) / batch));
    dLabels.push(logSoftmax.map((l) => -l / batch));
  });
  return { loss, dLogits, dLabels };
}

function maxAbsDiff(a: tf.Tensor, b: number[][]): number {
  const values = a.arraySync() as number[][];
  return Math.max(...values.flatMap((row, i) => row.map((v, j) => Math.abs(v - (b[i]?.[j] ?? NaN)))));
}

describeOnBackends('softmaxCrossEntropy', () => {
  const cases: [string, number[][], number[][]][] = [
    [
      'one-hot labels',
      [
        [1.5, -0.3, 0.2],
        [0.0, 2.0, -1.0],
        [-0.7, 0.1, 0.4],
        [3.0, 3.0, -2.0],
      ],
      [
        [1, 0, 0],
        [0, 0, 1],
        [0, 1, 0],
        [1, 0, 0],
      ],
    ],
    [
      'soft labels',
      [
        [0.5, 0.25, -1.0],
        [1.0, 1.0, 1.0],
      ],
      [
        [0.7, 0.2, 0.1],
        [0.0, 0.5, 0.5],
      ],
    ],
    // exp(±90) over- and underflows float32: a stable computation shifts by the row maximum.
    [
      'logits far from zero',
      [
        [90, -90, 0],
        [-90, -91, -89],
      ],
      [
        [0, 1, 0],
        [0, 0, 1],
      ],
    ],
  ];
  for (const [name, z, y] of cases) {
    test(`gives the float64 value and gradients: ${name}`, () => {
      const ref = reference(z, y);
      const logits = tf.tensor2d(z);
      const labels = tf.tensor2d(y);
      const { value, grads } = tf.tidy(() => {
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => softmaxCrossEntropy(a as tf.Tensor2D, b as tf.Tensor2D));
        return { value: softmaxCrossEntropy(logits, labels), grads: g([logits, labels]) };
      });
      const tolerance = 1e-5 * Math.max(1, Math.abs(ref.loss));
      assert.ok(
        Math.abs((value.dataSync()[0] ?? NaN) - ref.loss) < tolerance,
        `loss ${value.dataSync()[0]} vs ${ref.loss}`,
      );
      assert.ok(maxAbsDiff(grads[0] as tf.Tensor, ref.dLogits) < 1e-6, 'dL/dlogits');
      if (tf.getBackend() === 'tensorflow') {
        // tfjs's own composition returns (y - softmax) for the labels, not the derivative; the fused one returns -log softmax.
        assert.ok(maxAbsDiff(grads[1] as tf.Tensor, ref.dLabels) < 1e-4, 'dL/dlabels');
      }
      tf.dispose([logits, labels, value, ...grads]);
    });
  }

  test('matches tf.losses.softmaxCrossEntropy on int32 one-hot labels, leaving no tensors behind', () => {
    const logits = tf.randomNormal([32, 10], 0, 3, 'float32', 5) as tf.Tensor2D;
    const labels = tf.oneHot(tf.randomUniform([32], 0, 10, 'int32', 6) as tf.Tensor1D, 10) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const [ours, theirs, ourGrad, theirGrad] = tf.tidy(() => [
      softmaxCrossEntropy(logits, labels),
      tf.losses.softmaxCrossEntropy(labels, logits),
      tf.grad((a: tf.Tensor) => softmaxCrossEntropy(a as tf.Tensor2D, labels))(logits),
      tf.grad((a: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, a))(logits),
    ]) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    assert.ok(Math.abs((ours.dataSync()[0] ?? NaN) - (theirs.dataSync()[0] ?? NaN)) < 1e-5, 'value');
    assert.ok(maxAbsDiff(ourGrad, theirGrad.arraySync() as number[][]) < 1e-6, 'dL/dlogits');
    tf.dispose([ours, theirs, ourGrad, theirGrad]);
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([logits, labels]);
  });

  test('names mismatched shapes', () => {
    const logits = tf.zeros([2, 3]) as tf.Tensor2D;
    const labels = tf.zeros([2, 4]) as tf.Tensor2D;
    assert.throws(
      () => softmaxCrossEntropy(logits, labels),
      /^Error: softmaxCrossEntropy: logits \[2,3\] and labels \[2,4\] must be the same \[batch, classes\] shape$/,
    );
    tf.dispose([logits, labels]);
  });
});
