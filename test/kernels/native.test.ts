/**
 * The tensorflow backend's own pieces: the project's LSTM addon (native/lstm/, built by
 * `npm run native`) around its numbers, which test/kernels/lstm-sequence.test.ts checks against
 * fusedLstmSequence: which kernel the layer picks, inference without a kept state, thread counts,
 * the states a training run keeps, refused calls; and the MatMul path for 2-D BatchMatMul.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { lstmNote } from '../../src/backend';
import { fusedLstmSequence } from '../../src/kernels/lstm-sequence';
import {
  LSTM_KERNEL_ENV_VAR,
  addonLstmSequence,
  lstmAddon,
  lstmAddonInUse,
  lstmAddonProblem,
  resultTensor,
} from '../../src/kernels/native/lstm-addon';
import {
  patchTensorflowMatMul,
  tensorflowMatMulPatched,
  unpatchTensorflowMatMul,
} from '../../src/kernels/native/matmul';
import { tensorflowBackend } from '../../src/kernels/native/ops';
import { buildLayersModel } from '../../src/models/build';
import { softmaxCrossEntropy } from '../../src/models/classifier';
import { describeOnBackends, tensorflowRequired } from '../backends';

/** Largest |a - b| over all entries, as a fraction of the largest |b| (or absolute, under 1). */
function relativeDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => {
    const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] ?? NaN;
    const scale = tf.max(tf.abs(b)).dataSync()[0] ?? NaN;
    return diff / Math.max(1, scale);
  });
}

function lstmInputs(batch: number, steps: number, inputDim: number, units: number) {
  return {
    x: tf.randomNormal([batch, steps, inputDim], 0, 1, 'float32', 21) as tf.Tensor3D,
    kernel: tf.randomNormal([inputDim, 4 * units], 0, 0.3, 'float32', 22) as tf.Tensor2D,
    recurrent: tf.randomNormal([units, 4 * units], 0, 0.3, 'float32', 23) as tf.Tensor2D,
    bias: tf.randomNormal([4 * units], 0, 0.3, 'float32', 24) as tf.Tensor1D,
  };
}

describeOnBackends('the native pieces', () => {
  const addon = lstmAddon();
  if (addon === undefined) {
    if (tensorflowRequired())
      test('the LSTM addon is built (npm run native)', () => assert.fail(`${lstmAddonProblem()}`));
    else
      test('the LSTM addon', {
        skip: `not built here (${lstmAddonProblem()}); \`npm run native\` builds it`,
      }, () => {});
  } else {
    after(() => addon.setThreads(0));

    test('the fused layer runs on the addon, and RNN_LSTM_KERNEL=0 turns it off', () => {
      assert.equal(lstmAddonInUse(), true);
      assert.match(lstmNote(), /^LSTM on the project's kernel \((avx512|avx2|baseline), \d+ threads?\)$/);
      process.env[LSTM_KERNEL_ENV_VAR] = '0';
      try {
        assert.equal(lstmAddonInUse(), false);
        assert.equal(lstmNote(), "LSTM on libtensorflow's ops (RNN_LSTM_KERNEL=0)");
      } finally {
        delete process.env[LSTM_KERNEL_ENV_VAR];
      }
    });

    test('an inference pass keeps no state and computes what fusedLstmSequence does', () => {
      tf.tidy(() => {
        const { x, kernel, recurrent, bias } = lstmInputs(19, 28, 28, 24);
        const before = addon.liveStates();
        for (const sequences of [false, true]) {
          const got = addonLstmSequence(x, kernel, recurrent, bias, sequences);
          const want = fusedLstmSequence(x, kernel, recurrent, bias, sequences);
          assert.deepEqual(got.shape, want.shape);
          assert.ok(relativeDifference(got, want) < 1e-5, `returnSequences ${sequences}`);
        }
        assert.equal(addon.liveStates(), before, 'no state kept outside tf.grads');
      });
    });

    test('results stay as they were after later calls (tfjs-node keeps the arrays it wraps)', () => {
      tf.tidy(() => {
        const a = lstmInputs(8, 5, 4, 16);
        const first = addonLstmSequence(a.x, a.kernel, a.recurrent, a.bias, false);
        const copy = tf.tensor(first.dataSync().slice(), first.shape);
        for (let i = 0; i < 3; i++)
          addonLstmSequence(tf.mul(a.x, i + 2) as tf.Tensor3D, a.kernel, a.recurrent, a.bias, false);
        assert.equal(relativeDifference(first, copy), 0);
      });
    });

    test('a result tensor is a copy: filling its array again leaves it alone, where a plain tensor changes', () => {
      // libtensorflow wraps a 64-byte aligned array without copying it; 16 views one float apart
      // in one buffer include an aligned one, whatever the buffer's own alignment.
      const n = 256;
      const buffer = new Float32Array(n + 16);
      let wrappedChanged = 0;
      for (let offset = 0; offset < 16; offset++) {
        const view = buffer.subarray(offset, offset + n);
        view.fill(1);
        const result = resultTensor(view, [n]);
        const plain = tf.tensor(view, [n]);
        tensorflowBackend()?.getInputTensorIds([plain]); // hands the array to libtensorflow now
        view.fill(7);
        assert.deepEqual([...new Set(result.dataSync())], [1], `result at offset ${offset}`);
        if (plain.dataSync()[0] === 7) wrappedChanged++;
        tf.dispose([result, plain]);
      }
      assert.ok(
        wrappedChanged >= 1,
        'a plain tensor made from an aligned array follows the array (the reason for the copy)',
      );
    });

    test('one thread, the default, and more threads than cores give the same output and gradients', () => {
      tf.tidy(() => {
        const { x, kernel, recurrent, bias } = lstmInputs(64, 28, 28, 32);
        const dy = tf.randomNormal([64, 28, 32], 0, 1, 'float32', 25);
        const run = (): tf.Tensor[] => {
          const f = (...t: tf.Tensor[]): tf.Tensor =>
            tf.sum(
              tf.mul(
                addonLstmSequence(
                  t[0] as tf.Tensor3D,
                  t[1] as tf.Tensor2D,
                  t[2] as tf.Tensor2D,
                  t[3] as tf.Tensor1D,
                  true,
                ),
                dy,
              ),
            );
          return tf.grads(f)([x, kernel, recurrent, bias]);
        };
        addon.setThreads(1);
        const one = run();
        addon.setThreads(0);
        const all = run();
        addon.setThreads(8);
        const many = run();
        addon.setThreads(0);
        one.forEach((g, k) => {
          assert.ok(relativeDifference(all[k] as tf.Tensor, g) < 1e-5, `gradient ${k}: default threads`);
          assert.ok(relativeDifference(many[k] as tf.Tensor, g) < 1e-5, `gradient ${k}: 8 threads`);
        });
      });
    });

    test('a training run keeps at most one state alive and leaks no tensors', () => {
      const model = buildLayersModel({
        timeSteps: 28,
        inputSize: 28,
        units: 32,
        numClasses: 10,
        seed: 3,
        kind: 'fused',
      });
      const optimizer = tf.train.adam(0.001);
      const xs = tf.randomUniform([32, 28, 28], 0, 1, 'float32', 7);
      const ys = tf.tidy(() => tf.oneHot(tf.randomUniform([32], 0, 10, 'int32', 8) as tf.Tensor1D, 10)) as tf.Tensor2D;
      const step = (): void => {
        optimizer
          .minimize(() => softmaxCrossEntropy(model.apply(xs, { training: true }) as tf.Tensor2D, ys))
          ?.dispose();
      };
      step();
      const tensors = tf.memory().numTensors;
      const states = addon.liveStates();
      for (let i = 0; i < 20; i++) step();
      assert.equal(tf.memory().numTensors, tensors, 'tensor count after 20 more steps');
      assert.ok(addon.liveStates() <= Math.max(states, 1), `states alive: ${addon.liveStates()}`);
      tf.dispose([xs, ys]);
      model.dispose();
    });

    test('a released state and arrays of the wrong size or type are refused, naming what was wrong', () => {
      const dims = [2, 3, 4, 5] as const;
      const f = (n: number): Float32Array => new Float32Array(n);
      const state = addon.forward(f(24), f(80), f(100), f(20), dims, true, f(10));
      assert.ok(state !== undefined);
      assert.throws(
        () => addon.backward(state, f(11), null, f(180), f(20)),
        /upstream gradient does not have the output's size/,
      );
      assert.throws(() => addon.backward(state, f(10), null, f(10), f(20)), /dw must hold 180 floats/);
      addon.backward(state, f(10), null, f(180), f(20));
      addon.release(state);
      assert.throws(() => addon.backward(state, f(10), null, f(180), f(20)), /state was already released/);
      assert.throws(() => addon.forward(f(24), f(80), f(100), f(19), dims, false, f(10)), /does not have the size/);
      assert.throws(
        () => addon.forward(f(24), f(80), f(100), f(20), dims, false, f(11)),
        /h must hold B\*U or B\*T\*U/,
      );
      assert.throws(
        () => addon.forward(f(24), f(80), new Int32Array(100) as never, f(20), dims, false, f(10)),
        /recurrentKernel must be a Float32Array/,
      );
      assert.throws(() => addon.inputGradient({} as never, f(24)), /expected a state from forward/);
    });
  }

  test('a 2-D BatchMatMul runs as MatMul and computes what the stock kernel does; batched ones keep the stock kernel', () => {
    const backend = tensorflowBackend();
    assert.ok(backend !== undefined);
    assert.equal(tensorflowMatMulPatched(), true, 'setupBackend put the MatMul path in');
    const a = tf.randomNormal([7, 5], 0, 1, 'float32', 31);
    const b = tf.randomNormal([5, 3], 0, 1, 'float32', 32);
    const at = tf.transpose(a);
    const bt = tf.transpose(b);
    const batched = [tf.randomNormal([2, 7, 5], 0, 1, 'float32', 33), tf.randomNormal([2, 5, 3], 0, 1, 'float32', 34)];
    const products = (): tf.Tensor[] => [
      tf.matMul(a, b),
      tf.matMul(at, b, true, false),
      tf.matMul(a, bt, false, true),
      tf.matMul(at, bt, true, true),
      tf.matMul(batched[0] as tf.Tensor, batched[1] as tf.Tensor),
    ];
    const patched = products();
    unpatchTensorflowMatMul();
    const stock = products();
    patchTensorflowMatMul(backend);
    patched.forEach((p, k) => assert.ok(relativeDifference(p, stock[k] as tf.Tensor) < 1e-6, `product ${k}`));
    tf.dispose([a, b, at, bt, ...batched, ...patched, ...stock]);
  });
}, ['tensorflow']);
