/**
 * Gradient checking: derivatives measured by nudging each number (finite differences) and
 * distances between lists of gradients. Notebook 5 (the plain RNN) uses them to hold the
 * hand-written backpropagation through time to `tf.grad` and to the definition of a derivative.
 */
import * as tf from '@tensorflow/tfjs';

/** Options of `finiteDifferences`. */
export interface FiniteDifferenceOptions {
  /**
   * The nudge ε. Computing in float32 (tfjs has no float64), the loss is only exact to ~1e-7
   * relative, so the quotient's rounding error grows like 1e-7/ε while its truncation error
   * shrinks like ε²: 1e-2 balances the two for losses near 1.
   */
  readonly epsilon: number;
}

export const FINITE_DIFFERENCE_DEFAULTS: FiniteDifferenceOptions = { epsilon: 1e-2 };

/**
 * Central differences (f(θ + ε) - f(θ - ε)) / 2ε of a scalar `loss` with respect to every element
 * of every tensor in `params`, where θ ± ε are the float32 values the loss is evaluated at and 2ε
 * is their actual distance: one tensor per parameter, same shapes. Costs two evaluations of
 * `loss` per element: meant for small networks. The caller disposes the result.
 */
export function finiteDifferences(
  loss: (params: readonly tf.Tensor[]) => tf.Scalar,
  params: readonly tf.Tensor[],
  options: Partial<FiniteDifferenceOptions> = {},
): tf.Tensor[] {
  const { epsilon } = { ...FINITE_DIFFERENCE_DEFAULTS, ...options };
  if (!(epsilon > 0)) throw new Error(`finiteDifferences: epsilon must be > 0, got ${epsilon}`);
  const values = params.map((p) => Float32Array.from(p.dataSync()));
  const evaluate = (): number =>
    tf.tidy(() => {
      const nudged = values.map((v, k) => tf.tensor(v, (params[k] as tf.Tensor).shape));
      const value = loss(nudged).dataSync()[0];
      if (value === undefined || !Number.isFinite(value))
        throw new Error(`finiteDifferences: loss is not a finite scalar (${value})`);
      return value;
    });
  return values.map((v, k) => {
    const grad = new Float32Array(v.length);
    for (let e = 0; e < v.length; e++) {
      const original = v[e] as number;
      v[e] = original + epsilon;
      const high = v[e] as number; // θ + ε rounded to float32, the value the loss really saw
      const up = evaluate();
      v[e] = original - epsilon;
      const low = v[e] as number;
      const down = evaluate();
      v[e] = original;
      // Divide by the nudge actually made: near |θ| = 1000 float32 steps are 6e-5 apart, so
      // θ ± 1e-3 lands up to 3% away from the nominal 2ε.
      grad[e] = (up - down) / (high - low);
    }
    return tf.tensor(grad, (params[k] as tf.Tensor).shape);
  });
}

function flatten(tensors: readonly tf.Tensor[]): Float64Array {
  const out = new Float64Array(tensors.reduce((n, t) => n + t.size, 0));
  let offset = 0;
  for (const t of tensors) {
    out.set(t.dataSync(), offset);
    offset += t.size;
  }
  return out;
}

function checkSameShapes(a: readonly tf.Tensor[], b: readonly tf.Tensor[], where: string): void {
  if (a.length !== b.length) throw new Error(`${where}: ${a.length} tensors against ${b.length}`);
  a.forEach((t, k) => {
    const u = b[k] as tf.Tensor;
    if (t.shape.join(',') !== u.shape.join(','))
      throw new Error(`${where}: tensor ${k} has shape [${t.shape}] against [${u.shape}]`);
  });
}

/**
 * ‖a - b‖ / max(‖a‖, ‖b‖) over all elements of two lists of tensors (same shapes): one number
 * that does not blow up on gradients that are nearly zero, as an element-wise ratio would.
 * 0 when both are all zeros.
 */
export function relativeError(a: readonly tf.Tensor[], b: readonly tf.Tensor[]): number {
  checkSameShapes(a, b, 'relativeError');
  const x = flatten(a);
  const y = flatten(b);
  let diff = 0;
  let nx = 0;
  let ny = 0;
  for (let k = 0; k < x.length; k++) {
    const xk = x[k] as number;
    const yk = y[k] as number;
    diff += (xk - yk) ** 2;
    nx += xk * xk;
    ny += yk * yk;
  }
  const scale = Math.sqrt(Math.max(nx, ny));
  return scale === 0 ? 0 : Math.sqrt(diff) / scale;
}

/** The largest |a - b| over all elements of two lists of tensors with the same shapes. */
export function maxAbsDifference(a: readonly tf.Tensor[], b: readonly tf.Tensor[]): number {
  checkSameShapes(a, b, 'maxAbsDifference');
  const x = flatten(a);
  const y = flatten(b);
  let m = 0;
  for (let k = 0; k < x.length; k++) m = Math.max(m, Math.abs((x[k] as number) - (y[k] as number)));
  return m;
}
