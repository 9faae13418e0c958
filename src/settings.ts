/**
 * The settings of a run, each written once: what the model is (`ModelSettings`) and how it is
 * trained (`TrainSettings`), with one defaults object and one validator each. The CLI, the
 * notebooks' config cells, `trainTutorial`, run records and the record loader all go through
 * here, and one builder (models/build.ts) makes every model kind and cell from `ModelSettings`.
 * A new default is a change here; a new cell is a change here and in the builder.
 *
 * Each entry point resolves once (the CLI's flags, a notebook's config passed to `buildClassifier`,
 * `trainTutorial` or `runExperiment`, a record read back); what it hands down is frozen and marked
 * resolved, and resolving it again returns it without checking anything twice. Whether a model
 * fits this machine is a separate question (`checkFits`), asked before work starts: a record
 * written on a larger machine is still valid here.
 *
 * The tutorial's names, where it has one: n_steps → timeSteps, n_input → inputSize,
 * n_hidden → units, n_classes → numClasses, learning_rate → learningRate,
 * training_iters → trainingIters, batch_size → batchSize, display_step → displayStep,
 * BasicLSTMCell's forget_bias → forgetBias. `seed` is only ever the random seed.
 */
import { totalmem } from 'node:os';
import { UsageError } from './errors';

/** The recurrent cell. */
export type CellType = 'lstm' | 'gru' | 'simple-rnn';
/** Every cell type, in the order sweeps and help texts list them. */
export const CELL_TYPES: readonly CellType[] = ['lstm', 'gru', 'simple-rnn'];

/**
 * How the model is computed:
 * - `fused`: tf.layers model with the fused LSTM layer (models/fused-lstm.ts), the fast path;
 * - `layers`: the stock tf.layers cells (`tf.layers.lstm`, `gru`, `simpleRNN`), the reference;
 * - `basic`: the tutorial's own code, TF1's BasicLSTMCell + `weights.out`/`biases.out`
 *   (models/basic-lstm.ts); one LSTM layer in one direction.
 * `fused` and `layers` compute the same function and start from the same weights for a seed.
 */
export type ModelKind = 'fused' | 'layers' | 'basic';
/** Every model kind, in the order the help text lists them. */
export const MODEL_KINDS: readonly ModelKind[] = ['fused', 'layers', 'basic'];

/**
 * Where the weights start:
 * - `tutorial`: the tutorial's own initialisation (TF1's): one glorot_uniform kernel over [x, h]
 *   concatenated, zero biases with the forget bias added, and the output layer's `weights.out` and
 *   `biases.out` drawn from N(0, 1). For one LSTM layer in one direction, whichever kind computes it;
 * - `keras`: tf.layers' defaults: glorot_uniform input kernel, orthogonal recurrent kernel, the
 *   forget-gate bias at `forgetBias`, a glorot_uniform output layer and zero bias.
 */
export type InitKind = 'tutorial' | 'keras';
/** Every initialisation, in the order the help text lists them. */
export const INIT_KINDS: readonly InitKind[] = ['tutorial', 'keras'];

/** What the network is: `[batch, timeSteps, inputSize]` → logits `[batch, numClasses]`. */
export interface ModelSettings {
  readonly cell: CellType;
  /** Default: `fused` for `lstm`, `layers` for the other cells (the only implementation they have). */
  readonly kind: ModelKind;
  /**
   * Default: `tutorial` for one LSTM layer in one direction (the tutorial's model), `keras` for
   * the rest. `basic` is always `tutorial`.
   */
  readonly init: InitKind;
  /** Recurrent layers stacked; all but the last pass every step's output on. */
  readonly layers: number;
  /** Each recurrent layer also reads the rows bottom to top; both outputs are concatenated (2 × units). */
  readonly bidirectional: boolean;
  readonly timeSteps: number;
  readonly inputSize: number;
  /** Size of each recurrent layer's state (the tutorial's n_hidden). */
  readonly units: number;
  readonly numClasses: number;
  /**
   * The forget gate's bias offset. BasicLSTMCell (`basic`) adds it inside the forget sigmoid at
   * every step (TF1's forget_bias); the tf.layers LSTMs start their forget-gate bias at it
   * (Keras' unit_forget_bias is 1). Not used by GRU and SimpleRNN.
   */
  readonly forgetBias: number;
  /** Random seed of the initial weights. */
  readonly seed: number;
}

/** How the tutorial's loop trains and tests (the tutorial's hyperparameters and ours). */
export interface TrainSettings {
  /** Examples to train on: the loop runs while step * batchSize < trainingIters (781 steps for the defaults). */
  readonly trainingIters: number;
  readonly batchSize: number;
  /** Log (and record) every displayStep optimiser steps. */
  readonly displayStep: number;
  /** Adam's learning rate. */
  readonly learningRate: number;
  /** Clip the gradients to this global norm before each update; 0: no clipping (the tutorial's loop). */
  readonly clipNorm: number;
  /** The tutorial's "Testing Accuracy" uses the first 128 test images. */
  readonly testExamples: number;
  /** Evaluate the validation split every this many steps (0: never, like the tutorial). */
  readonly validateEvery: number;
  /** Batch size of evaluation passes (memory, not results). */
  readonly evalBatchSize: number;
}

/** Everything that defines a run. */
export type RunSettings = ModelSettings & TrainSettings;

/** The tutorial's model: one LSTM layer of 128 units on 28 rows of 28 pixels, 10 classes. */
export const MODEL_DEFAULTS: ModelSettings = {
  cell: 'lstm',
  kind: 'fused',
  init: 'tutorial',
  layers: 1,
  bidirectional: false,
  timeSteps: 28,
  inputSize: 28,
  units: 128,
  numClasses: 10,
  forgetBias: 1,
  seed: 0,
};

/** The tutorial's hyperparameters (learning_rate 0.001, training_iters 100000, batch_size 128, display_step 10). */
export const TRAIN_DEFAULTS: TrainSettings = {
  trainingIters: 100_000,
  batchSize: 128,
  displayStep: 10,
  learningRate: 0.001,
  clipNorm: 0,
  testExamples: 128,
  validateEvery: 0,
  evalBatchSize: 500,
};

/** What a setting may hold. */
type Rule = (
  | { readonly type: 'int'; readonly min: number }
  | { readonly type: 'number'; readonly min: number; readonly above?: true }
  | { readonly type: 'boolean' }
  | { readonly type: 'choice'; readonly values: readonly string[] }
) & { /** Said after the rule in errors. */ readonly note?: string };

const MODEL_RULES: { readonly [K in keyof ModelSettings]: Rule } = {
  cell: { type: 'choice', values: CELL_TYPES },
  kind: { type: 'choice', values: MODEL_KINDS },
  init: { type: 'choice', values: INIT_KINDS },
  layers: { type: 'int', min: 1 },
  bidirectional: { type: 'boolean' },
  timeSteps: { type: 'int', min: 1 },
  inputSize: { type: 'int', min: 1 },
  units: { type: 'int', min: 1 },
  numClasses: { type: 'int', min: 2 },
  forgetBias: { type: 'number', min: -Infinity },
  seed: { type: 'int', min: 0 },
};

const TRAIN_RULES: { readonly [K in keyof TrainSettings]: Rule } = {
  trainingIters: { type: 'int', min: 1 },
  batchSize: { type: 'int', min: 1 },
  displayStep: { type: 'int', min: 1 },
  learningRate: { type: 'number', min: 0, above: true },
  clipNorm: { type: 'number', min: 0, note: '0: no clipping' },
  testExamples: { type: 'int', min: 1 },
  validateEvery: { type: 'int', min: 0, note: '0: never' },
  evalBatchSize: { type: 'int', min: 1 },
};

/** The keys of each part, to pick them out of a config that holds more (a notebook's, a record's). */
export const MODEL_KEYS = Object.keys(MODEL_DEFAULTS) as readonly (keyof ModelSettings)[];
export const TRAIN_KEYS = Object.keys(TRAIN_DEFAULTS) as readonly (keyof TrainSettings)[];

/** How a setting is named in an error: the option itself (`units`), a CLI flag (`--hidden`), a record field. */
export type NameOf = (key: string) => string;

/** Options of the resolvers. */
export interface ResolveOptions {
  /** Default: the key (`units`). */
  readonly nameOf?: NameOf;
  /** Every key must be present (a stored record), except these, which older records lack. */
  readonly complete?: { readonly except: readonly string[] };
}

/** Which settings a resolved object holds. */
type Part = 'model' | 'train' | 'run';
/** Objects the resolvers returned (frozen), by the part they hold. */
const RESOLVED = new WeakMap<object, Part>();

function markResolved<T extends object>(s: T, part: Part): T {
  RESOLVED.set(Object.freeze(s), part);
  return s;
}

/** The part of an already resolved object, picked without checking again; undefined for anything else. */
function alreadyResolved<T>(input: object, part: 'model' | 'train', keys: readonly string[]): T | undefined {
  const held = RESOLVED.get(input);
  if (held === part) return input as T;
  if (held !== 'run') return undefined;
  const picked = Object.fromEntries(keys.map((k) => [k, (input as Readonly<Record<string, unknown>>)[k]]));
  return markResolved(picked, part) as T;
}

function describeRule(rule: Rule): string {
  switch (rule.type) {
    case 'int':
      return `a whole number >= ${rule.min}`;
    case 'number':
      return rule.above
        ? `a finite number > ${rule.min}`
        : Number.isFinite(rule.min)
          ? `a finite number >= ${rule.min}`
          : 'a finite number';
    case 'boolean':
      return 'true or false';
    case 'choice':
      return `one of ${rule.values.join(', ')}`;
  }
}

function fits(rule: Rule, v: unknown): boolean {
  switch (rule.type) {
    case 'int':
      return typeof v === 'number' && Number.isSafeInteger(v) && v >= rule.min;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) && (rule.above ? v > rule.min : v >= rule.min);
    case 'boolean':
      return typeof v === 'boolean';
    case 'choice':
      return typeof v === 'string' && rule.values.includes(v);
  }
}

/** True when `a` becomes `b` by one letter dropped, added, changed, or two neighbours swapped. */
function oneEditApart(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1 || a === b) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const [restA, restB] = [a.slice(i + 1), b.slice(i + 1)];
  return (
    restA === restB || // changed
    a.slice(i) === b.slice(i + 1) || // added to a
    a.slice(i + 1) === b.slice(i) || // dropped from a
    (a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2)) // swapped
  );
}

/**
 * Throws on a key that is surely a misspelt setting: one that differs from a setting's name only
 * in case (`learningrate`), by a plural s (`unit`), or, for names of six letters or more, by one
 * slip of the keyboard (`lerningRate`, `batchSzie`). Other unknown keys pass: a notebook's config
 * object carries its own (`backend`, `data`, `batch`) into the same calls, and they are ignored.
 * Without this, `{ learningrate: 0.01 }` trained at the default 0.001 without a word.
 */
function checkMisspelt(input: Readonly<Record<string, unknown>>): void {
  const known = [...Object.keys(MODEL_RULES), ...Object.keys(TRAIN_RULES)];
  for (const key of Object.keys(input)) {
    if (known.includes(key)) continue;
    const lower = key.toLowerCase();
    const meant = known.find(
      (k) =>
        k.toLowerCase() === lower ||
        k === `${key}s` ||
        `${k}s` === key ||
        (k.length >= 6 && oneEditApart(k.toLowerCase(), lower)),
    );
    if (meant !== undefined) {
      throw new UsageError(
        `unknown setting "${key}": did you mean "${meant}"? (an unknown key is ignored, which would leave ${meant} at its default)`,
      );
    }
  }
}

/** Defaults, overridden by the input's keys of `rules` (other keys are ignored, misspelt ones refused), each checked. */
function resolve<T extends object>(
  rules: { readonly [K in keyof T]: Rule },
  defaults: T,
  input: object,
  options: ResolveOptions,
): T {
  const nameOf = options.nameOf ?? ((k: string): string => k);
  const given = input as Readonly<Record<string, unknown>>;
  checkMisspelt(given);
  const out: Record<string, unknown> = { ...(defaults as Readonly<Record<string, unknown>>) };
  for (const key of Object.keys(rules) as (keyof T & string)[]) {
    const rule = rules[key] as Rule;
    const v = given[key];
    if (v === undefined) {
      if (options.complete !== undefined && !options.complete.except.includes(key))
        throw new UsageError(`${nameOf(key)} is missing`);
      continue;
    }
    if (!fits(rule, v)) {
      const note = rule.note !== undefined ? ` (${rule.note})` : '';
      // String(v) for numbers: JSON would print Infinity and NaN as null.
      throw new UsageError(
        `${nameOf(key)} must be ${describeRule(rule)}${note}, got ${typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v))}`,
      );
    }
    out[key] = v;
  }
  return out as T;
}

/**
 * Model settings from the defaults and what is given (extra keys, e.g. a notebook config's
 * `backend`, are ignored); throws a UsageError naming the first bad setting or combination.
 */
export function resolveModelSettings(
  input: Partial<ModelSettings> | object = {},
  options: ResolveOptions = {},
): ModelSettings {
  const done = alreadyResolved<ModelSettings>(input, 'model', MODEL_KEYS);
  if (done !== undefined) return done;
  const nameOf = options.nameOf ?? ((k: string): string => k);
  const given = input as Readonly<Record<string, unknown>>;
  const cell = given['cell'] ?? MODEL_DEFAULTS.cell;
  const kind: ModelKind = cell === 'lstm' ? 'fused' : 'layers';
  const resolved = resolve<ModelSettings>(MODEL_RULES, { ...MODEL_DEFAULTS, kind }, input, options);
  const tutorialShape = resolved.cell === 'lstm' && resolved.layers === 1 && !resolved.bidirectional;
  const s: ModelSettings =
    given['init'] === undefined ? { ...resolved, init: tutorialShape ? 'tutorial' : 'keras' } : resolved;
  if (s.kind !== 'layers' && s.cell !== 'lstm') {
    throw new UsageError(
      `${nameOf('kind')} "${s.kind}" is an LSTM implementation; ${nameOf('cell')} "${s.cell}" is built with tf.layers (${nameOf('kind')} "layers")`,
    );
  }
  if (s.kind === 'basic' && (s.layers !== 1 || s.bidirectional)) {
    throw new UsageError(
      `${nameOf('kind')} "basic" (the tutorial's BasicLSTMCell) is one layer in one direction; use ${nameOf('kind')} "fused" or "layers" for ${s.layers !== 1 ? `${nameOf('layers')} ${s.layers}` : nameOf('bidirectional')}`,
    );
  }
  if (s.init === 'tutorial' && !tutorialShape) {
    const what =
      s.cell !== 'lstm'
        ? `${nameOf('cell')} "${s.cell}"`
        : s.layers !== 1
          ? `${nameOf('layers')} ${s.layers}`
          : nameOf('bidirectional');
    throw new UsageError(
      `${nameOf('init')} "tutorial" is the tutorial's initialisation of one LSTM layer in one direction; use ${nameOf('init')} "keras" for ${what}`,
    );
  }
  if (s.kind === 'basic' && s.init !== 'tutorial') {
    throw new UsageError(
      `${nameOf('kind')} "basic" is the tutorial's own model and starts from its initialisation; ${nameOf('init')} "${s.init}" goes with ${nameOf('kind')} "fused" or "layers"`,
    );
  }
  return markResolved(s, 'model');
}

/** The most numbers one typed array, so one tensor, can hold in Node (V8's limit). */
export const MAX_TENSOR_NUMBERS = 2 ** 32;

/** Gate blocks per cell: an LSTM's weights hold 4 (i, f, c, o), a GRU's 3, a SimpleRNN's 1. */
const GATES: Readonly<Record<CellType, number>> = { lstm: 4, gru: 3, 'simple-rnn': 1 };

/** The shapes that decide whether a model fits: its largest weight tensor and its number count. */
export function modelSize(s: ModelSettings): { readonly largest: readonly [number, number]; readonly numbers: number } {
  const g = GATES[s.cell] * s.units;
  const dirs = s.bidirectional ? 2 : 1;
  const firstIn = s.inputSize;
  const laterIn = s.units * dirs;
  const perLayer = (inputs: number): number => dirs * (inputs * g + s.units * g + g);
  const numbers = perLayer(firstIn) + (s.layers - 1) * perLayer(laterIn) + s.units * dirs * s.numClasses + s.numClasses;
  const widest = s.layers > 1 ? Math.max(firstIn, laterIn, s.units) : Math.max(firstIn, s.units);
  return { largest: [widest, g], numbers };
}

/** Bytes of a number (float32). */
const BYTES = 4;
/** Copies of every weight while training with Adam: the weights, their gradients, two moments. */
const TRAINING_COPIES = 4;
/**
 * Numbers one training step holds at its peak per example, time step and unit of each layer and
 * direction (gates, states and their gradients), by cell: tf.profile's peakBytes of a first Adam
 * step, less the weights' four copies, measured on wasm (fused LSTM 49 in one layer to 60 in two
 * bidirectional ones, GRU 86, SimpleRNN 22) and rounded up.
 */
const KEPT_PER_UNIT: Readonly<Record<CellType, number>> = { lstm: 64, gru: 96, 'simple-rnn': 24 };

/**
 * The wasm backend's heap, where all its tensors live: 32-bit WebAssembly memory, 4 GiB less one
 * 64 KiB page (tfjs-backend-wasm 4.22's getHeapMax). Past it an allocation aborts inside wasm
 * ("memory access out of bounds", "Aborted()") instead of failing cleanly.
 */
export const WASM_HEAP_BYTES = 4_294_901_760;

/** What a run may use, and the words that name that limit in an error. */
function memoryLimit(options: FitOptions): { readonly bytes: number; readonly words: string } {
  if (options.memoryBytes !== undefined)
    return { bytes: options.memoryBytes, words: `this machine has ${gigabytes(options.memoryBytes)}` };
  const machine = totalmem();
  if (options.backend === 'wasm' && WASM_HEAP_BYTES < machine) {
    return {
      bytes: WASM_HEAP_BYTES,
      words: `the wasm backend holds at most ${gigabytes(WASM_HEAP_BYTES)} (its WebAssembly heap; the tensorflow backend has the machine's ${gigabytes(machine)})`,
    };
  }
  return { bytes: machine, words: `this machine has ${gigabytes(machine)}` };
}

function gigabytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(bytes >= 1e11 ? 0 : 1)} GB` : `${Math.ceil(bytes / 1e6)} MB`;
}

/** Throws a UsageError naming the setting when the model's weights cannot be held: a tensor too large for Node, or more memory than the machine has. */
function checkModelFits(s: ModelSettings, nameOf: NameOf, memory: { bytes: number; words: string }): void {
  const { largest, numbers } = modelSize(s);
  const [rows, columns] = largest;
  const who = `${nameOf('units')} ${s.units}${s.layers > 1 ? ` with ${nameOf('layers')} ${s.layers}` : ''}`;
  if (rows * columns > MAX_TENSOR_NUMBERS) {
    throw new UsageError(
      `${who} needs a [${rows}, ${columns}] weight tensor of ${(rows * columns).toExponential(1)} numbers; one tensor holds at most ${MAX_TENSOR_NUMBERS.toExponential(1)} (2^32)`,
    );
  }
  const bytes = numbers * BYTES * TRAINING_COPIES;
  if (bytes > memory.bytes) {
    throw new UsageError(
      `${who} needs about ${gigabytes(bytes)} for ${numbers.toExponential(1)} weights, their gradients and Adam's moments; ${memory.words}`,
    );
  }
}

/** The memory one training step of these settings takes at its peak, estimated: the weights' four copies and what the step holds per unit. */
export function trainingStepBytes(s: RunSettings): number {
  const weights = modelSize(s).numbers * BYTES * TRAINING_COPIES;
  const activations =
    s.batchSize * s.timeSteps * s.layers * (s.bidirectional ? 2 : 1) * s.units * KEPT_PER_UNIT[s.cell] * BYTES;
  return weights + activations;
}

/** Throws a UsageError naming the settings when one training step's activations cannot fit in the machine's memory. */
function checkStepFits(s: RunSettings, nameOf: NameOf, memory: { bytes: number; words: string }): void {
  const bytes = trainingStepBytes(s);
  if (bytes > memory.bytes) {
    throw new UsageError(
      `${nameOf('batchSize')} ${s.batchSize} with ${nameOf('units')} ${s.units}${s.layers > 1 ? `, ${nameOf('layers')} ${s.layers}` : ''}${s.bidirectional ? `, ${nameOf('bidirectional')}` : ''} needs about ${gigabytes(bytes)} for one training step; ${memory.words}`,
    );
  }
}

/** Training settings from the defaults and what is given (extra keys ignored); throws a UsageError naming the first bad one. */
export function resolveTrainSettings(
  input: Partial<TrainSettings> | object = {},
  options: ResolveOptions = {},
): TrainSettings {
  const done = alreadyResolved<TrainSettings>(input, 'train', TRAIN_KEYS);
  if (done !== undefined) return done;
  const s = resolve(TRAIN_RULES, TRAIN_DEFAULTS, input, options);
  if (s.trainingIters <= s.batchSize) {
    // The tutorial's loop runs while step * batchSize < trainingIters, from step 1: no step at all
    // would test an untrained model and look like a result.
    const nameOf = options.nameOf ?? ((k: string): string => k);
    throw new UsageError(
      `${nameOf('trainingIters')} ${s.trainingIters} with ${nameOf('batchSize')} ${s.batchSize} makes no training step (the loop runs while step x batch size < training iters); give more than ${s.batchSize}`,
    );
  }
  return markResolved(s, 'train');
}

/** Both parts of a run's settings. */
export function resolveRunSettings(
  input: Partial<RunSettings> | object = {},
  options: ResolveOptions = {},
): RunSettings {
  if (RESOLVED.get(input) === 'run') return input as RunSettings;
  return markResolved({ ...resolveModelSettings(input, options), ...resolveTrainSettings(input, options) }, 'run');
}

/** Options of `checkFits`. */
export interface FitOptions {
  /** How a setting is named in the error (default: the key). */
  readonly nameOf?: NameOf;
  /** Memory the model and a training step must fit in (default: the backend's, below). */
  readonly memoryBytes?: number;
  /** The backend the work runs on: 'wasm' holds its tensors in a heap of WASM_HEAP_BYTES; the others have the machine's memory (os.totalmem()). */
  readonly backend?: string;
}

/**
 * Throws a UsageError naming the settings when the model's weights cannot be held here (a tensor
 * too large for Node, more memory than the backend has: the machine's, or the wasm heap) or, for a
 * run's settings, when one training step's activations cannot. Asked before work starts (the CLI, `runExperiment`, the
 * builders), never when a record or a saved model's settings are read.
 */
export function checkFits(s: ModelSettings | RunSettings, options: FitOptions = {}): void {
  const nameOf = options.nameOf ?? ((k: string): string => k);
  const memory = memoryLimit(options);
  checkModelFits(s, nameOf, memory);
  if ('batchSize' in s) checkStepFits(s, nameOf, memory);
}

/** The model part of a run's settings (what the builder and saved models take). */
export function modelSettingsOf(s: ModelSettings): ModelSettings {
  return Object.fromEntries(MODEL_KEYS.map((k) => [k, s[k]])) as unknown as ModelSettings;
}
