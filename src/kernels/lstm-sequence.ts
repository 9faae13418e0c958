/**
 * The fused LSTM's computation: the LSTM over a whole sequence in fewer, larger kernels, with a
 * hand-written backward pass (`fusedLstmSequence`). The layer around it is in fused-lstm.ts.
 *
 * Where the stock layer's time is spent (wasm backend, docs/NOTES.md "Training speed"): one
 * small matmul per step for the input, tanh kernels, slices per gate, and an autodiff tape of
 * dozens of small ops per step. Here:
 *  - the input projection x·W + b runs once for all time steps (one matmul);
 *  - each step is one recurrent matmul h·U, one sigmoid over all four gates, and a few
 *    elementwise ops. tanh of the cell-input gate uses tanh(z) = 2·sigmoid(2z) - 1 with the
 *    factor 2 folded into that gate's columns of W, U and b;
 *  - backprop through time is written by hand (`tf.customGrad`): per step a handful of
 *    elementwise ops and one matmul dz·Uᵀ; the weight gradients are one matmul each over all
 *    steps at the end, and the input gradient is computed only when something upstream trains.
 */
import * as tf from '@tensorflow/tfjs';
import { linkInput, tokenGradient } from './input-link';

/**
 * Column scales [4u] that turn the c-gate's pre-activation z into 2z, so that one sigmoid over
 * all gates also yields tanh(z) = 2·sigmoid(2z) - 1. Gate order i, f, c, o.
 */
function gateScale(units: number): tf.Tensor1D {
  const s = new Float32Array(4 * units).fill(1);
  s.fill(2, 2 * units, 3 * units);
  return tf.tensor1d(s);
}

/**
 * The sizes of an LSTM sequence op's inputs, checked: x [batch, steps, inputDim] with steps >= 1,
 * kernel [inputDim, 4u], recurrentKernel [u, 4u], bias [4u]. Throws naming `caller` and every shape.
 */
export function lstmShapes(
  caller: string,
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D,
): { batch: number; steps: number; inputDim: number; units: number } {
  const [batch, steps, inputDim] = x.shape;
  const [units] = recurrentKernel.shape;
  if (steps < 1) throw new Error(`${caller}: x must have at least one time step, got shape [${x.shape}]`);
  if (
    kernel.shape[0] !== inputDim ||
    kernel.shape[1] !== 4 * units ||
    recurrentKernel.shape[1] !== 4 * units ||
    bias.shape[0] !== 4 * units
  ) {
    throw new Error(
      `${caller}: shapes do not fit: x [${x.shape}], kernel [${kernel.shape}], recurrentKernel [${recurrentKernel.shape}], bias [${bias.shape}]`,
    );
  }
  return { batch, steps, inputDim, units };
}

/**
 * The LSTM over a whole sequence with a hand-written gradient.
 * x [batch, steps, inputDim], kernel [inputDim, 4u], recurrentKernel [u, 4u], bias [4u] ->
 * [batch, steps, u] if `returnSequences`, else [batch, u]. Zero initial state.
 */
export function fusedLstmSequence(
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  returnSequences: boolean,
): tf.Tensor {
  const { batch, steps, inputDim, units } = lstmShapes('fusedLstmSequence', x, kernel, recurrentKernel, bias);

  const dims: Dims = { batch, steps, inputDim, units, returnSequences };
  const input = linkInput(x, 'fusedLstmSequence'); // dL/dx only when backprop reaches x (input-link.ts)

  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [token, kIn, rIn, bIn, save] = args;
    if (
      !(
        token instanceof tf.Tensor &&
        kIn instanceof tf.Tensor &&
        rIn instanceof tf.Tensor &&
        bIn instanceof tf.Tensor
      ) ||
      typeof save !== 'function'
    ) {
      throw new Error('fusedLstmSequence: customGrad called with unexpected arguments');
    }
    const scale = gateScale(units);
    const w = tf.mul(kIn, scale); // [inputDim, 4u], c-gate columns doubled
    const u = tf.mul(rIn, scale); // [u, 4u]
    const b = tf.mul(bIn, scale); // [4u]
    // Time-major rows so that each step's projections are one contiguous block.
    const xRows = tf.reshape(tf.transpose(x, [1, 0, 2]), [steps * batch, inputDim]); // [steps*batch, inputDim]
    const projected = tf.fused.matMul({ a: xRows, b: w, bias: b }); // [steps*batch, 4u], bias added inside the matmul
    const perStep = tf.unstack(tf.reshape(projected, [steps, batch, 4 * units])); // steps x [batch, 4u]

    const two = tf.scalar(2);
    const one = tf.scalar(1);
    const gates: tf.Tensor[] = []; // sigmoid of all pre-activations, [batch, 4u]
    // The input, forget and output gates again, [batch, u] each: saving them costs less than
    // splitting `gates` again in the backward pass (a strided copy; on cpu an element-wise one).
    const inputGates: tf.Tensor[] = [];
    const forgetGates: tf.Tensor[] = [];
    const outputGates: tf.Tensor[] = [];
    const cellInputs: tf.Tensor[] = []; // g_t = tanh(z_c), [batch, u]
    const cells: tf.Tensor[] = []; // c_t, [batch, u]
    const cellTanh: tf.Tensor[] = []; // tanh(c_t), [batch, u]
    const hidden: tf.Tensor[] = []; // h_t, [batch, u]
    let h: tf.Tensor | undefined;
    let c: tf.Tensor | undefined;
    for (let t = 0; t < steps; t++) {
      const zx = perStep[t] as tf.Tensor;
      const z = h === undefined ? zx : tf.add(zx, tf.matMul(h, u)); // [batch, 4u]
      const a = tf.sigmoid(z);
      const [ai, af, ag, ao] = tf.split(a, 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const g = tf.sub(tf.mul(ag, two), one); // tanh of the c-gate pre-activation
      c = c === undefined ? tf.mul(ai, g) : tf.add(tf.mul(af, c), tf.mul(ai, g));
      const tc = tf.tanh(c);
      h = tf.mul(ao, tc);
      gates.push(a);
      inputGates.push(ai);
      forgetGates.push(af);
      outputGates.push(ao);
      cellInputs.push(g);
      cells.push(c);
      cellTanh.push(tc);
      hidden.push(h);
    }
    // Keeps the tensors the backward pass reads; tfjs only keeps them when a gradient is taped.
    // x is read through the closure (x itself is not an input of this op: see linkInput).
    save([
      x,
      w,
      u,
      ...gates,
      ...inputGates,
      ...forgetGates,
      ...outputGates,
      ...cellInputs,
      ...cells,
      ...cellTanh,
      ...hidden.slice(0, -1),
    ]);
    const value = returnSequences
      ? tf.transpose(tf.stack(hidden), [1, 0, 2]) // [batch, steps, u]
      : (h as tf.Tensor); // [batch, u]

    const gradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]): tf.Tensor[] => {
      const dOut = Array.isArray(dy) ? dy[0] : dy;
      if (dOut === undefined) throw new Error('fusedLstmSequence: no upstream gradient');
      const { weightGradients, parts } = lstmBackward(dOut, saved, dims);
      input.provide(() => inputGradient(parts, dims)); // [batch, steps, inputDim]
      return [tokenGradient(), ...weightGradients];
    };
    return { value, gradFunc };
  });
  return run(input.token, kernel, recurrentKernel, bias);
}

interface Dims {
  readonly batch: number;
  readonly steps: number;
  readonly inputDim: number;
  readonly units: number;
  readonly returnSequences: boolean;
}

/** What dL/dx needs from the backward pass: dL/dz' per step ([batch, 4u] each) and W' [inputDim, 4u]. */
interface InputGradientParts {
  readonly dzs: readonly tf.Tensor[];
  readonly w: tf.Tensor;
}

/** dL/dx [batch, steps, inputDim] = dZ·W'ᵀ, with dZ the steps' dL/dz' stacked time-major. */
function inputGradient({ dzs, w }: InputGradientParts, { batch, steps, inputDim }: Dims): tf.Tensor {
  const dZ = tf.concat([...dzs], 0); // [steps*batch, 4u]
  return tf.transpose(tf.reshape(tf.matMul(dZ, w, false, true), [steps, batch, inputDim]), [1, 0, 2]);
}

/**
 * Backprop through time. `saved` is [x, W', U', then per step a_t, i_t, f_t, o_t, g_t, c_t,
 * tanh(c_t) (each kind for all steps in turn), then h_0..h_{T-2}].
 * Returns the gradients of kernel, recurrentKernel and bias, and what the input gradient needs.
 */
function lstmBackward(
  dy: tf.Tensor,
  saved: tf.Tensor[],
  dims: Dims,
): { weightGradients: tf.Tensor[]; parts: InputGradientParts } {
  const { batch, steps, inputDim, units, returnSequences } = dims;
  const take = (from: number, count: number): tf.Tensor[] => saved.slice(from, from + count) as tf.Tensor[];
  const [x, w, u] = saved as [tf.Tensor3D, tf.Tensor, tf.Tensor];
  const kind = (k: number): tf.Tensor[] => take(3 + k * steps, steps);
  const gates = kind(0);
  const inputGates = kind(1);
  const forgetGates = kind(2);
  const outputGates = kind(3);
  const cellInputs = kind(4);
  const cells = kind(5);
  const cellTanh = kind(6);
  const hidden = take(3 + 7 * steps, steps - 1);

  const two = tf.scalar(2);
  const one = tf.scalar(1);
  const uT = tf.transpose(u); // [4u, u], once, so each step's matmul has no transposed operand
  // dL/dh_t from the layer's output: every step, or only the last.
  const dyStep: (tf.Tensor | undefined)[] = returnSequences
    ? (tf.unstack(tf.transpose(dy, [1, 0, 2])) as tf.Tensor[])
    : [...new Array<undefined>(steps - 1), dy as tf.Tensor];
  const dzs: tf.Tensor[] = new Array<tf.Tensor>(steps); // dL/dz'_t, [batch, 4u]
  const dzsT: tf.Tensor[] = new Array<tf.Tensor>(steps); // the same, transposed: [4u, batch]
  let dhNext: tf.Tensor | undefined;
  let dcNext: tf.Tensor | undefined;
  for (let t = steps - 1; t >= 0; t--) {
    const a = gates[t] as tf.Tensor;
    const tc = cellTanh[t] as tf.Tensor;
    const ai = inputGates[t] as tf.Tensor;
    const af = forgetGates[t] as tf.Tensor;
    const ao = outputGates[t] as tf.Tensor;
    const fromOut = dyStep[t];
    const dh = fromOut === undefined ? (dhNext as tf.Tensor) : dhNext === undefined ? fromOut : tf.add(fromOut, dhNext);
    const dO = tf.mul(dh, tc);
    // d tanh(c)/dc = 1 - tanh(c)^2
    const dcHere = tf.mul(tf.mul(dh, ao), tf.sub(one, tf.square(tc)));
    const dc = dcNext === undefined ? dcHere : tf.add(dcHere, dcNext);
    const dI = tf.mul(dc, cellInputs[t] as tf.Tensor);
    const dF = t > 0 ? tf.mul(dc, cells[t - 1] as tf.Tensor) : tf.zerosLike(dc);
    const dAg = tf.mul(tf.mul(dc, ai), two); // through g = 2·a_g - 1
    const dA = tf.concat([dI, dF, dAg, dO], 1); // [batch, 4u]
    const dz = tf.mul(dA, tf.mul(a, tf.sub(one, a))); // sigmoid' = a(1 - a)
    dzs[t] = dz;
    dzsT[t] = tf.transpose(dz);
    dcNext = tf.mul(dc, af);
    if (t > 0) dhNext = tf.matMul(dz, uT);
  }
  // The weight gradients are computed transposed, dZᵀ·(rows), so that the operand that matmul
  // packs is the narrow one ([steps*batch, u] or [steps*batch, inputDim]) rather than dZ
  // ([steps*batch, 4u]); on wasm that packing costs more than the multiply.
  const dZT = tf.concat(dzsT, 1); // [4u, steps*batch], columns time-major
  const scale = tf.reshape(gateScale(units), [4 * units, 1]);
  const xRows = tf.reshape(tf.transpose(x, [1, 0, 2]), [steps * batch, inputDim]);
  // h_{t-1} for every step, h_{-1} = 0: [steps*batch, u]
  const hPrev = tf.concat([tf.zeros([batch, units]), ...hidden], 0);
  // z' = x·W' + h·U' + b' with W' = W·scale (columns), so dW = (xᵀ·dZ)·scale, and so on.
  const dKernel = tf.transpose(tf.mul(tf.matMul(dZT, xRows), scale)); // [inputDim, 4u]
  const dRecurrent = tf.transpose(tf.mul(tf.matMul(dZT, hPrev), scale)); // [u, 4u]
  const dBias = tf.reshape(tf.mul(tf.sum(dZT, 1, true), scale), [4 * units]); // [4u]
  return { weightGradients: [dKernel, dRecurrent, dBias], parts: { dzs, w } };
}
