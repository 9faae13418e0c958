/**
 * The fused LSTM on the `tensorflow` backend (tfjs-node): the same function and weights as
 * `fusedLstmSequence`, computed by libtensorflow's own LSTM kernels.
 *
 * tfjs-node runs every tfjs op as one TensorFlow eager op, at a fixed cost of tens of
 * microseconds each, so a step built from a dozen small ops spends much of its time in calls.
 * libtensorflow has fused kernels that tfjs does not expose, reachable by name through the
 * backend's op executor:
 *  - forward: `BlockLSTMV2`, the whole sequence in one op. Its gate layout is i, f, c, o, the
 *    same as `tf.layers.lstm`, so it takes [kernel; recurrentKernel] and the bias as they are.
 *    It has no forget bias of its own and `cell_clip: 0` turns clipping off.
 *  - backward: per step one `LSTMBlockCellGrad` (all the gate derivatives in one op; its gate
 *    layout is i, c, f, o) and one `MatMul` for dL/dh_{t-1}, run on libtensorflow handles without
 *    a tfjs tensor per intermediate; then all three weight gradients in one matmul over every
 *    step. libtensorflow's `BlockLSTMGradV2` does the whole backward pass in one op, but it
 *    multiplies the weight gradient out step by step and computes dL/dx always; measured on the
 *    tutorial's model it takes 23 ms where this takes about 15 (one intra-op thread).
 *
 * Where a backend lacks these ops (not tensorflow, or a libtensorflow without them),
 * `nativeLstmAvailable()` is false and the layer computes `fusedLstmSequence` instead.
 */
import * as tf from '@tensorflow/tfjs';
import { linkInput, tokenGradient } from '../input-link';
import { lstmShapes } from '../lstm-sequence';
import {
  floatType,
  matMul,
  OpScope,
  runOp,
  tensorflowBackend,
  type OpAttr,
  type TensorflowBinding,
  type TensorflowBackend,
} from './ops';

function noPeephole(b: TensorflowBinding): OpAttr {
  return { name: 'use_peephole', type: b.TF_ATTR_BOOL, value: false };
}

/** LSTMBlockCellGrad on handles: its [cs_prev_grad, dicfo]; the peephole gradients are dropped. */
function cellGrad(ops: OpScope, binding: TensorflowBinding, inputIds: readonly number[]): [number, number] {
  const [dcPrev, dz, ...peephole] = ops.exec(
    'LSTMBlockCellGrad',
    [floatType(binding), noPeephole(binding)],
    inputIds,
    5,
  );
  ops.drop(peephole);
  return [dcPrev as number, dz as number];
}

let probed: { backend: unknown; ok: boolean } | undefined;

/**
 * True when the active backend can run the native LSTM: tfjs-node, with a libtensorflow that has
 * `BlockLSTMV2` and `LSTMBlockCellGrad` (checked once per backend instance on a tiny input).
 */
export function nativeLstmAvailable(): boolean {
  const backend = tensorflowBackend();
  if (backend === undefined) return false;
  if (probed?.backend === backend) return probed.ok;
  let ok: boolean;
  try {
    tf.tidy(() => {
      const x = tf.zeros([1, 1, 1]);
      const w = tf.zeros([2, 4]);
      const b = tf.zeros([4]);
      const zeros = tf.zeros([1, 1]);
      const peephole = tf.zeros([1]);
      const [i, cs, f, o, ci, co] = forward(backend, x, w, b, zeros, peephole);
      runOp(
        backend,
        'LSTMBlockCellGrad',
        [floatType(backend.binding), noPeephole(backend.binding)],
        [
          tf.zeros([1, 1]),
          zeros,
          zeros,
          w,
          peephole,
          peephole,
          peephole,
          b,
          ...[i, cs, f, o, ci, co].map((t) => tf.reshape(t as tf.Tensor, [1, 1])),
          zeros,
          zeros,
        ],
        5,
      );
    });
    ok = true;
  } catch {
    ok = false;
  }
  probed = { backend, ok };
  return ok;
}

/** BlockLSTMV2 on time-major x [steps, batch, inputDim]: i, cs, f, o, ci, co, h, each [steps, batch, u]. */
function forward(
  backend: TensorflowBackend,
  xTime: tf.Tensor,
  w: tf.Tensor,
  b: tf.Tensor,
  zeroState: tf.Tensor,
  zeroPeephole: tf.Tensor,
): tf.Tensor[] {
  const binding = backend.binding;
  const attrs = [floatType(binding), { name: 'cell_clip', type: binding.TF_ATTR_FLOAT, value: 0 }, noPeephole(binding)];
  const steps = xTime.shape[0] as number;
  return runOp(
    backend,
    'BlockLSTMV2',
    attrs,
    [xTime, zeroState, zeroState, w, zeroPeephole, zeroPeephole, zeroPeephole, b],
    7,
    steps,
  );
}

/** Swaps the f and c quarters of the last axis: i, f, c, o <-> i, c, f, o (its own inverse). */
function swapForgetAndCell(t: tf.Tensor): tf.Tensor {
  const axis = t.rank - 1;
  const [i, f, c, o] = tf.split(t, 4, axis) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  return tf.concat([i, c, f, o], axis);
}

/** `N` tensors, as a tuple: what an op with N outputs returns. */
type Tensors<N extends number, T extends tf.Tensor[] = []> = T['length'] extends N ? T : Tensors<N, [...T, tf.Tensor]>;

/**
 * The LSTM over a whole sequence on libtensorflow's kernels, with the same contract as
 * `fusedLstmSequence`: x [batch, steps, inputDim], kernel [inputDim, 4u], recurrentKernel [u, 4u],
 * bias [4u] (gates i, f, c, o; sigmoid gates, tanh cell) -> [batch, steps, u] if
 * `returnSequences`, else [batch, u]. Zero initial state. Needs `nativeLstmAvailable()`.
 */
export function nativeLstmSequence(
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  returnSequences: boolean,
): tf.Tensor {
  const backend = tensorflowBackend();
  if (backend === undefined || !nativeLstmAvailable())
    throw new Error(`nativeLstmSequence: needs the tensorflow backend with BlockLSTMV2 (active: ${tf.getBackend()})`);
  const { batch, steps, inputDim, units } = lstmShapes('nativeLstmSequence', x, kernel, recurrentKernel, bias);
  const input = linkInput(x, 'nativeLstmSequence');

  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [, kIn, rIn, bIn, save] = args;
    if (
      !(kIn instanceof tf.Tensor && rIn instanceof tf.Tensor && bIn instanceof tf.Tensor) ||
      typeof save !== 'function'
    ) {
      throw new Error('nativeLstmSequence: customGrad called with unexpected arguments');
    }
    const xTime = tf.transpose(x, [1, 0, 2]); // [steps, batch, inputDim]
    const w = tf.concat([kIn, rIn], 0); // [inputDim + u, 4u], rows x then h, as BlockLSTM's [x, h]·w
    const zeroState = tf.zeros([batch, units]);
    const zeroPeephole = tf.zeros([units]);
    const [i, cs, f, o, ci, co, h] = forward(backend, xTime, w, bIn, zeroState, zeroPeephole) as Tensors<7>;
    save([xTime, w, rIn, i, cs, f, o, ci, co, h]);
    const value = returnSequences
      ? tf.transpose(h, [1, 0, 2]) // [batch, steps, u]
      : tf.reshape(tf.slice(h, [steps - 1, 0, 0], [1, batch, units]), [batch, units]);

    const gradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]): tf.Tensor[] => {
      const dOut = Array.isArray(dy) ? dy[0] : dy;
      if (dOut === undefined) throw new Error('nativeLstmSequence: no upstream gradient');
      const [xT, wS, r, iAll, csAll, fAll, oAll, ciAll, coAll, hS] = saved as Tensors<10>;
      // dL/dh_{t-1} = dz_t · r^T; r^T is made once, in LSTMBlockCellGrad's gate order, so that the
      // step's product is a plain MatMul (measured: about half the time of BatchMatMulV2 with adj_y).
      const rIcfoT = tf.transpose(swapForgetAndCell(r)); // [4u, u]
      const zeros = tf.zeros([batch, units]);
      const noPeep = tf.zeros([units]);
      // Read for their shapes only: LSTMBlockCellGrad computes from the gates and states.
      const xShape = tf.zeros([batch, inputDim]);
      const bShape = tf.zeros([4 * units]);
      const fromOut = returnSequences ? tf.transpose(dOut, [1, 0, 2]) : undefined; // [steps, batch, u]
      const dGates = new OpScope(backend).run((ops) => {
        const [zerosId, noPeepId, xShapeId, bShapeId, wId, rTId, dOutId] = backend.getInputTensorIds([
          zeros,
          noPeep,
          xShape,
          bShape,
          wS,
          rIcfoT,
          fromOut ?? dOut,
        ]) as [number, number, number, number, number, number, number];
        const perStep = (all: tf.Tensor): number[] => ops.unstack(backend.getInputTensorIds([all])[0] as number, steps);
        const [iS, csS, fS, oS, ciS, coS] = [iAll, csAll, fAll, oAll, ciAll, coAll].map(perStep) as [
          number[],
          number[],
          number[],
          number[],
          number[],
          number[],
        ];
        const dyS = returnSequences ? perStep(fromOut as tf.Tensor) : undefined;
        const dz: number[] = new Array<number>(steps); // dL/d(pre-activations) per step, [batch, 4u], gates i, c, f, o
        let dhNext: number | undefined;
        let dc = zerosId;
        for (let t = steps - 1; t >= 0; t--) {
          const out = dyS === undefined ? (t === steps - 1 ? dOutId : undefined) : (dyS[t] as number);
          const dh = out === undefined ? (dhNext as number) : dhNext === undefined ? out : ops.add(out, dhNext);
          const [dcPrev, dzT] = cellGrad(ops, backend.binding, [
            xShapeId,
            t > 0 ? (csS[t - 1] as number) : zerosId,
            zerosId,
            wId,
            noPeepId,
            noPeepId,
            noPeepId,
            bShapeId,
            iS[t] as number,
            csS[t] as number,
            fS[t] as number,
            oS[t] as number,
            ciS[t] as number,
            coS[t] as number,
            dc,
            dh,
          ]);
          dz[t] = dzT;
          dc = dcPrev;
          if (t > 0) dhNext = ops.matMul(dzT, rTId, false, false); // [batch, u]
        }
        return ops.keep(ops.concat(dz)); // [steps*batch, 4u], time-major
      });
      // All three weight gradients in one product over every step: [x_t, h_{t-1}, 1]^T · dz, whose
      // rows are dL/dkernel, dL/drecurrentKernel and dL/dbias (the ones column sums dz, for the bias).
      // One pass over dz instead of three; measured about 1.5 ms a step less than three matmuls.
      const h0 = tf.reshape(zeros, [1, batch, units]);
      const hPrev = steps > 1 ? tf.concat([h0, tf.slice(hS, [0, 0, 0], [steps - 1, batch, units])], 0) : h0;
      const xh1 = tf.reshape(tf.concat([xT, hPrev, tf.ones([steps, batch, 1])], 2), [
        steps * batch,
        inputDim + units + 1,
      ]);
      const dW = swapForgetAndCell(matMul(backend, xh1, dGates, true, false)); // [inputDim + u + 1, 4u], gates i, f, c, o
      const [dKernel, dRecurrent, dBiasRow] = tf.split(dW, [inputDim, units, 1], 0) as Tensors<3>;
      const dBias = tf.reshape(dBiasRow, [4 * units]);
      input.provide(() => {
        const kernelIcfo = swapForgetAndCell(tf.slice(wS, [0, 0], [inputDim, 4 * units]));
        return tf.transpose(
          tf.reshape(matMul(backend, dGates, kernelIcfo, false, true), [steps, batch, inputDim]),
          [1, 0, 2],
        );
      });
      return [tokenGradient(), dKernel, dRecurrent, dBias];
    };
    return { value, gradFunc };
  });
  return run(input.token, kernel, recurrentKernel, bias);
}
