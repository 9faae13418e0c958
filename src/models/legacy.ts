/**
 * Layers that only models saved by version 0.1 of this package contain, registered so that their
 * folders still load. 0.1 built bidirectional layers from a `ReverseTime` layer around a forward
 * layer (the fused LSTM had no `goBackwards` then); today's models use `tf.layers.bidirectional`.
 * Nothing builds these layers any more.
 */
import * as tf from '@tensorflow/tfjs';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Flips the time axis: `[batch, steps, features]` → the same shape, step t holding step steps-1-t. */
class ReverseTime extends tf.layers.Layer {
  /** The name under which 0.1's saved models refer to this layer. */
  static readonly className = 'ReverseTime';

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (x === undefined || x.rank !== 3)
      throw new Error(
        `ReverseTime: expected one input [batch, steps, features], got ${x === undefined ? 'none' : `[${x.shape}]`}`,
      );
    return tf.reverse(x, 1);
  }
}
tf.serialization.registerClass(ReverseTime);
