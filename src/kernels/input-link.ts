/**
 * A deferred input gradient for the LSTM sequence ops.
 *
 * dL/dx of an LSTM layer costs a [steps*batch, 4u] x [4u, inputDim] matmul, wasted when nothing
 * before the layer is trained (the tutorial's model: x is the data). So x does not enter the
 * LSTM's `customGrad` itself: a scalar token made from x does, through a second `customGrad`
 * whose gradient computes dL/dx. tfjs calls that gradient only when backprop has to reach x, and
 * it visits the token after the LSTM op (reverse order of recording), so the LSTM's backward
 * pass has provided what dL/dx needs by then.
 */
import * as tf from '@tensorflow/tfjs';

/** The token that stands for x in the LSTM op, and where the LSTM's backward pass leaves dL/dx's recipe. */
export interface InputLink {
  /** A scalar 0 whose gradient is dL/dx. Pass it to the LSTM op in x's place. */
  readonly token: tf.Scalar;
  /** Called by the LSTM's backward pass: how to compute dL/dx [batch, steps, inputDim] if asked. */
  provide(inputGradient: () => tf.Tensor): void;
}

/** Links x to an LSTM op through a scalar token; `what` names the op in errors. */
export function linkInput(x: tf.Tensor, what: string): InputLink {
  let compute: (() => tf.Tensor) | undefined;
  const link = tf.customGrad(() => ({
    value: tf.scalar(0),
    gradFunc: (): tf.Tensor => {
      if (compute === undefined) throw new Error(`${what}: input gradient requested before the LSTM gradient`);
      return compute();
    },
  }));
  return {
    token: link(x) as tf.Scalar,
    provide: (inputGradient): void => {
      compute = inputGradient;
    },
  };
}

/**
 * The token's own gradient, a zero scalar. Not `zerosLike(token)`: by the time backprop runs the
 * token may be disposed, and tfjs-node's ZerosLike reads its input's data (cpu and wasm read only
 * the shape).
 */
export function tokenGradient(): tf.Scalar {
  return tf.scalar(0);
}
