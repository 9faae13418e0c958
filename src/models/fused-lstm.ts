/**
 * A fused LSTM layer: the same cell as `tf.layers.lstm` with `recurrentActivation: 'sigmoid'`,
 * computed with fewer, larger kernels and a hand-written backward pass.
 * This file holds the layer (options, initializers, serialisation); the sequence computation and
 * its gradient are in kernels/lstm-sequence.ts (tfjs ops, every backend) and
 * kernels/native/lstm-sequence.ts (libtensorflow's LSTM kernels, used on the tensorflow backend).
 *
 * Weights have exactly `tf.layers.lstm`'s layout and order (kernel [inputDim, 4u],
 * recurrentKernel [u, 4u], bias [4u], gates i, f, c, o), so `getWeights()`/`setWeights()`
 * interchange with a `tf.layers.lstm` layer.
 *
 * Divergence notes (vs `tf.layers.lstm` / Keras `LSTM`):
 *  - only `activation: 'tanh'` and `recurrentActivation: 'sigmoid'`; tfjs defaults the latter to
 *    'hardSigmoid' (Keras: 'sigmoid'), so compare against `tf.layers.lstm({recurrentActivation:
 *    'sigmoid'})`;
 *  - no dropout, recurrentDropout, masking, initial state, returnState, stateful, regularizers
 *    or constraints; `useBias` is always true;
 *  - initializer defaults follow tfjs (kernel 'glorotNormal', recurrent 'orthogonal', bias
 *    'zeros', `unitForgetBias` false); Keras uses 'glorot_uniform' and unit_forget_bias=True.
 */
import * as tf from '@tensorflow/tfjs';
import type { LSTMLayerArgs } from '@tensorflow/tfjs';
import { fusedLstmSequence } from '../kernels/lstm-sequence';
import { addonLstmSequence, lstmAddonInUse } from '../kernels/native/lstm-addon';
import { nativeLstmAvailable, nativeLstmSequence } from '../kernels/native/lstm-sequence';

/** A tfjs initializer object (what `tf.initializers.*()` return). */
type Initializer = ReturnType<typeof tf.initializers.ones>;

/** Initializer identifier ('glorotUniform', ...), initializer object, or its serialised form. */
export type InitializerArg = NonNullable<LSTMLayerArgs['kernelInitializer']> | tf.serialization.ConfigDict;

/** Options of `fusedLstm`; the names and meanings are `tf.layers.lstm`'s. */
export interface FusedLstmArgs {
  /** Size of the hidden state h and cell state c (the tutorial's `n_hidden`). */
  readonly units: number;
  /** Output every step's h, [batch, steps, units], instead of the last, [batch, units]. Default false. */
  readonly returnSequences?: boolean;
  /**
   * Read the steps last to first (what `tf.layers.bidirectional` sets for its backward copy).
   * As in Keras, the returned sequence is in reading order: step t holds the state after
   * reading steps T-1 down to T-1-t. Default false.
   */
  readonly goBackwards?: boolean;
  /** Only 'tanh' (the default) is implemented. */
  readonly activation?: 'tanh';
  /** Only 'sigmoid' (the default here) is implemented. */
  readonly recurrentActivation?: 'sigmoid';
  /** Initialise the forget gate's bias to 1 (Keras' default, not tfjs'). Default false. */
  readonly unitForgetBias?: boolean;
  /** Default 'glorotNormal' (as tf.layers.lstm). */
  readonly kernelInitializer?: InitializerArg;
  /** Default 'orthogonal' (as tf.layers.lstm). */
  readonly recurrentInitializer?: InitializerArg;
  /** Default 'zeros' (as tf.layers.lstm). */
  readonly biasInitializer?: InitializerArg;
  readonly inputShape?: readonly (number | null)[];
  readonly batchInputShape?: readonly (number | null)[];
  readonly batchSize?: number;
  readonly name?: string;
  readonly trainable?: boolean;
}

/** tf.layers.lstm options this layer does not implement; passing one (from JS or a config) throws. */
const UNSUPPORTED = [
  'dropout',
  'recurrentDropout',
  'stateful',
  'returnState',
  'unroll',
  'kernelRegularizer',
  'recurrentRegularizer',
  'biasRegularizer',
  'activityRegularizer',
  'kernelConstraint',
  'recurrentConstraint',
  'biasConstraint',
] as const;

const DEFAULTS = {
  returnSequences: false,
  goBackwards: false,
  unitForgetBias: false,
  kernelInitializer: 'glorotNormal',
  recurrentInitializer: 'orthogonal',
  biasInitializer: 'zeros',
} as const;

function isInitializer(value: unknown): value is Initializer {
  return value instanceof tf.serialization.Serializable && 'apply' in value && typeof value.apply === 'function';
}

/** 'glorotUniform' or Keras' 'glorot_uniform' -> 'GlorotUniform', the registered class name. */
function initializerClassName(identifier: string): string {
  return identifier
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function resolveInitializer(value: InitializerArg | undefined, fallback: string, what: string): Initializer {
  const arg: unknown = value ?? fallback;
  if (isInitializer(arg)) return arg;
  let className: string;
  let config: tf.serialization.ConfigDict = {};
  if (typeof arg === 'string') {
    className = initializerClassName(arg);
  } else if (typeof arg === 'object' && arg !== null && 'className' in arg && typeof arg.className === 'string') {
    className = arg.className;
    if ('config' in arg && typeof arg.config === 'object' && arg.config !== null && !Array.isArray(arg.config)) {
      // A plain object from JSON: every value is a ConfigDictValue.
      config = arg.config as tf.serialization.ConfigDict;
    }
  } else {
    throw new Error(
      `fusedLstm: ${what} must be an initializer identifier, object or {className, config}; got ${JSON.stringify(arg)}`,
    );
  }
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (entry === undefined) throw new Error(`fusedLstm: unknown ${what} "${className}"`);
  const [cls, fromConfig] = entry;
  const made: unknown = fromConfig(cls, config);
  if (!isInitializer(made)) throw new Error(`fusedLstm: ${what} "${className}" is not an initializer`);
  return made;
}

function serializeInitializer(init: Initializer): tf.serialization.ConfigDict {
  return { className: init.getClassName(), config: init.getConfig() };
}

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** The options that tf.layers.Layer itself reads (it wants mutable shapes). */
function baseLayerArgs(args: FusedLstmArgs): LayerArgs {
  const { inputShape, batchInputShape, batchSize, name, trainable } = args;
  return {
    ...(inputShape !== undefined ? { inputShape: [...inputShape] } : {}),
    ...(batchInputShape !== undefined ? { batchInputShape: [...batchInputShape] } : {}),
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(trainable !== undefined ? { trainable } : {}),
  };
}

/** A `tf.layers` LSTM layer computed by `fusedLstmSequence`; weights as `tf.layers.lstm`'s. */
export class FusedLstm extends tf.layers.Layer {
  /** The name under which models save and load this layer. */
  static readonly className = 'FusedLstm';

  readonly units: number;
  readonly returnSequences: boolean;
  readonly goBackwards: boolean;
  readonly unitForgetBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly recurrentInitializer: Initializer;
  readonly biasInitializer: Initializer;
  private kernel: tf.LayerVariable | undefined;
  private recurrentKernel: tf.LayerVariable | undefined;
  private bias: tf.LayerVariable | undefined;

  constructor(args: FusedLstmArgs) {
    super(baseLayerArgs(args));
    if (!Number.isInteger(args.units) || args.units < 1) {
      throw new Error(`fusedLstm: units must be a positive integer, got ${String(args.units)}`);
    }
    // The args may come from JavaScript or a saved config, outside the TypeScript types.
    const given = args as unknown as Readonly<Record<string, unknown>>;
    for (const key of UNSUPPORTED) {
      const v = given[key];
      if (v !== undefined && v !== null && v !== false && v !== 0)
        throw new Error(`fusedLstm: option ${key} is not implemented (use tf.layers.lstm)`);
    }
    if (given['useBias'] === false)
      throw new Error('fusedLstm: useBias: false is not implemented (use tf.layers.lstm)');
    if (args.activation !== undefined && args.activation !== 'tanh') {
      throw new Error(`fusedLstm: activation "${String(args.activation)}" is not implemented; only 'tanh'`);
    }
    if (args.recurrentActivation !== undefined && args.recurrentActivation !== 'sigmoid') {
      throw new Error(
        `fusedLstm: recurrentActivation "${String(args.recurrentActivation)}" is not implemented; only 'sigmoid'`,
      );
    }
    this.units = args.units;
    this.returnSequences = args.returnSequences ?? DEFAULTS.returnSequences;
    this.goBackwards = args.goBackwards ?? DEFAULTS.goBackwards;
    this.unitForgetBias = args.unitForgetBias ?? DEFAULTS.unitForgetBias;
    this.kernelInitializer = resolveInitializer(
      args.kernelInitializer,
      DEFAULTS.kernelInitializer,
      'kernelInitializer',
    );
    this.recurrentInitializer = resolveInitializer(
      args.recurrentInitializer,
      DEFAULTS.recurrentInitializer,
      'recurrentInitializer',
    );
    this.biasInitializer = resolveInitializer(args.biasInitializer, DEFAULTS.biasInitializer, 'biasInitializer');
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = Array.isArray(inputShape[0]) ? inputShape[0] : inputShape;
    const inputDim = shape[shape.length - 1];
    if (shape.length !== 3 || typeof inputDim !== 'number') {
      throw new Error(`fusedLstm: expected input shape [batch, steps, features], got [${String(shape)}]`);
    }
    const u = this.units;
    // Same order of initializer calls as tf.layers.lstm, so seeded initializers give the same weights.
    this.kernel = this.addWeight('kernel', [inputDim, 4 * u], 'float32', this.kernelInitializer);
    this.recurrentKernel = this.addWeight('recurrent_kernel', [u, 4 * u], 'float32', this.recurrentInitializer);
    this.bias = this.addWeight(
      'bias',
      [4 * u],
      'float32',
      this.unitForgetBias ? tf.initializers.zeros() : this.biasInitializer,
    );
    if (this.unitForgetBias) {
      const init = this.biasInitializer;
      // [i | f = 1 | c, o], built like tf.layers.lstm's unitForgetBias initializer.
      const value = tf.tidy(() => tf.concat([init.apply([u]), tf.ones([u]), init.apply([2 * u])]));
      this.bias.write(value); // the variable now holds its own reference to the data
      value.dispose();
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = Array.isArray(inputShape[0]) ? inputShape[0] : inputShape;
    const [batch, steps] = shape as tf.Shape;
    return this.returnSequences ? [batch ?? null, steps ?? null, this.units] : [batch ?? null, this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (x === undefined || x.rank !== 3) {
        throw new Error(
          `fusedLstm: expected one input of rank 3 [batch, steps, features], got ${x === undefined ? 'none' : `[${x.shape}]`}`,
        );
      }
      if (this.kernel === undefined || this.recurrentKernel === undefined || this.bias === undefined) {
        throw new Error('fusedLstm: call() before build()');
      }
      // On tfjs-node, this project's LSTM addon (when `npm run native` built it) or else
      // libtensorflow's fused LSTM kernels compute the same function faster.
      const sequence = lstmAddonInUse()
        ? addonLstmSequence
        : nativeLstmAvailable()
          ? nativeLstmSequence
          : fusedLstmSequence;
      return sequence(
        (this.goBackwards ? tf.reverse(x, 1) : x) as tf.Tensor3D,
        this.kernel.read() as tf.Tensor2D,
        this.recurrentKernel.read() as tf.Tensor2D,
        this.bias.read() as tf.Tensor1D,
        this.returnSequences,
      );
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      returnSequences: this.returnSequences,
      goBackwards: this.goBackwards,
      activation: 'tanh',
      recurrentActivation: 'sigmoid',
      unitForgetBias: this.unitForgetBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      recurrentInitializer: serializeInitializer(this.recurrentInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
    };
  }
}
tf.serialization.registerClass(FusedLstm);

/** A fused LSTM layer ([batch, steps, features] -> [batch, units] or [batch, steps, units]). */
export function fusedLstm(args: FusedLstmArgs): FusedLstm {
  return new FusedLstm(args);
}
