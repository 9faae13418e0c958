/**
 * The one settings schema: its defaults are the tutorial's numbers (docs: n_hidden 128,
 * learning_rate 0.001, training_iters 100000, batch_size 128, display_step 10, forget_bias 1.0),
 * every setting is checked with an error naming it (or its flag), combinations that do not
 * exist are refused, and a stored record must hold every setting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../src/backend';
import { loadMnist } from '../src/data';
import { UsageError } from '../src/errors';
import { buildClassifier } from '../src/models';
import { trainStep } from '../src/train';
import { countSteps } from '../src/train';
import {
  checkFits,
  MODEL_DEFAULTS,
  MODEL_KEYS,
  modelSettingsOf,
  resolveModelSettings,
  resolveRunSettings,
  resolveTrainSettings,
  TRAIN_DEFAULTS,
  TRAIN_KEYS,
  trainingStepBytes,
  WASM_HEAP_BYTES,
} from '../src/settings';

test("the defaults are the tutorial's", () => {
  assert.deepEqual(
    {
      n_steps: MODEL_DEFAULTS.timeSteps,
      n_input: MODEL_DEFAULTS.inputSize,
      n_hidden: MODEL_DEFAULTS.units,
      n_classes: MODEL_DEFAULTS.numClasses,
      forget_bias: MODEL_DEFAULTS.forgetBias,
    },
    { n_steps: 28, n_input: 28, n_hidden: 128, n_classes: 10, forget_bias: 1 },
  );
  assert.deepEqual(
    {
      learning_rate: TRAIN_DEFAULTS.learningRate,
      training_iters: TRAIN_DEFAULTS.trainingIters,
      batch_size: TRAIN_DEFAULTS.batchSize,
      display_step: TRAIN_DEFAULTS.displayStep,
    },
    { learning_rate: 0.001, training_iters: 100000, batch_size: 128, display_step: 10 },
  );
  assert.equal(countSteps(TRAIN_DEFAULTS.trainingIters, TRAIN_DEFAULTS.batchSize), 781);
  assert.deepEqual(resolveRunSettings({}), { ...MODEL_DEFAULTS, ...TRAIN_DEFAULTS });
});

test('given settings override the defaults; other keys (a notebook config has data, backend...) are ignored', () => {
  const s = resolveRunSettings({ units: 64, learningRate: 0.01, backend: 'wasm', data: 'bundled' });
  assert.equal(s.units, 64);
  assert.equal(s.learningRate, 0.01);
  assert.deepEqual(Object.keys(s).sort(), [...MODEL_KEYS, ...TRAIN_KEYS].sort());
  assert.deepEqual(modelSettingsOf(s), { ...MODEL_DEFAULTS, units: 64 });
});

test('the kind defaults to fused for lstm and layers for the other cells', () => {
  assert.equal(resolveModelSettings({}).kind, 'fused');
  assert.equal(resolveModelSettings({ cell: 'gru' }).kind, 'layers');
  assert.equal(resolveModelSettings({ cell: 'simple-rnn' }).kind, 'layers');
  assert.equal(resolveModelSettings({ kind: 'basic' }).kind, 'basic');
});

test('every setting is checked, and the error names it and what it must be', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ units: 0 }, /^units must be a whole number >= 1, got 0$/],
    [{ units: 2.5 }, /^units must be a whole number >= 1, got 2.5$/],
    [{ units: '128' }, /^units must be a whole number >= 1, got "128"$/],
    [{ layers: 0 }, /^layers must be a whole number >= 1/],
    [{ numClasses: 1 }, /^numClasses must be a whole number >= 2, got 1$/],
    [{ seed: -1 }, /^seed must be a whole number >= 0, got -1$/],
    [{ bidirectional: 'yes' }, /^bidirectional must be true or false, got "yes"$/],
    [{ cell: 'rnn' }, /^cell must be one of lstm, gru, simple-rnn, got "rnn"$/],
    [{ kind: 'seed' }, /^kind must be one of fused, layers, basic, got "seed"$/],
    [{ forgetBias: Number.NaN }, /^forgetBias must be a finite number, got NaN$/],
    [{ learningRate: 0 }, /^learningRate must be a finite number > 0, got 0$/],
    [{ learningRate: Infinity }, /^learningRate must be a finite number > 0, got Infinity$/],
    [{ clipNorm: -1 }, /^clipNorm must be a finite number >= 0 \(0: no clipping\), got -1$/],
    [{ validateEvery: -1 }, /^validateEvery must be a whole number >= 0 \(0: never\), got -1$/],
    [{ batchSize: 1e20 }, /^batchSize must be a whole number >= 1, got 100000000000000000000$/],
  ];
  for (const [input, message] of cases) {
    assert.throws(
      () => resolveRunSettings(input),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
      JSON.stringify(input),
    );
  }
});

test('combinations that do not exist are refused, naming both settings', () => {
  assert.throws(
    () => resolveModelSettings({ cell: 'gru', kind: 'fused' }),
    /^UsageError: kind "fused" is an LSTM implementation; cell "gru" is built with tf.layers \(kind "layers"\)$/,
  );
  assert.throws(
    () => resolveModelSettings({ cell: 'simple-rnn', kind: 'basic' }),
    /kind "basic" is an LSTM implementation/,
  );
  assert.throws(
    () => resolveModelSettings({ kind: 'basic', layers: 2 }),
    /kind "basic" \(the tutorial's BasicLSTMCell\) is one layer in one direction; use kind "fused" or "layers" for layers 2$/,
  );
  assert.throws(() => resolveModelSettings({ kind: 'basic', bidirectional: true }), /for bidirectional$/);
});

test('errors can name the CLI flag (or a record field) instead of the setting', () => {
  const flags: Record<string, string> = { units: '--hidden', kind: '--model', cell: '--cell' };
  const nameOf = (key: string): string => flags[key] ?? key;
  assert.throws(
    () => resolveRunSettings({ units: 'many' }, { nameOf }),
    /^UsageError: --hidden must be a whole number >= 1, got "many"$/,
  );
  assert.throws(
    () => resolveModelSettings({ cell: 'gru', kind: 'fused' }, { nameOf }),
    /--model "fused" is an LSTM implementation; --cell "gru" is built with tf.layers \(--model "layers"\)/,
  );
});

test('a stored record must hold every setting, except those its format predates', () => {
  const full = resolveRunSettings({});
  assert.deepEqual(resolveRunSettings(full, { complete: { except: [] } }), full);
  const { clipNorm: _c, ...withoutClip } = full;
  assert.throws(
    () => resolveRunSettings(withoutClip, { nameOf: (k) => `record.config.${k}`, complete: { except: [] } }),
    /^UsageError: record.config.clipNorm is missing$/,
  );
  assert.equal(resolveRunSettings(withoutClip, { complete: { except: ['clipNorm'] } }).clipNorm, 0);
  assert.deepEqual(resolveTrainSettings({ ...full, units: 'ignored here' }), { ...TRAIN_DEFAULTS });
});

test('a misspelt setting is refused, naming the one meant; other unknown keys (a notebook config) still pass', () => {
  // These used to train at the defaults (learning rate 0.001, 128 units) without a word.
  assert.throws(
    () => resolveTrainSettings({ learningrate: 0.01 }),
    /^UsageError: unknown setting "learningrate": did you mean "learningRate"\? \(an unknown key is ignored, which would leave learningRate at its default\)$/,
  );
  assert.throws(
    () => resolveModelSettings({ unit: 64 }),
    /^UsageError: unknown setting "unit": did you mean "units"\?/,
  );
  assert.throws(() => resolveRunSettings({ BatchSize: 64 }), /did you mean "batchSize"\?/);
  assert.throws(() => resolveModelSettings({ seeds: 3 }), /did you mean "seed"\?/);
  // One slip of the keyboard in a name of six letters or more: dropped, added, changed, swapped.
  for (const [typo, meant] of [
    ['lerningRate', 'learningRate'],
    ['learningRat', 'learningRate'],
    ['learningRatee', 'learningRate'],
    ['batchSise', 'batchSize'],
    ['batchSzie', 'batchSize'],
    ['clipNrom', 'clipNorm'],
    ['forgetbais', 'forgetBias'],
  ] as const) {
    assert.throws(
      () => resolveRunSettings({ [typo]: 1 }),
      new RegExp(`unknown setting "${typo}": did you mean "${meant}"`),
    );
  }
  // Every key the notebooks' config cells hold that is not a setting passes (none is one slip from one).
  const notebooks = path.join(__dirname, '..', 'notebooks');
  const configKeys = readdirSync(notebooks)
    .filter((f) => f.endsWith('.ipynb'))
    .flatMap((f) => {
      const cells = (JSON.parse(readFileSync(path.join(notebooks, f), 'utf8')) as { cells: { source: string[] }[] })
        .cells;
      const config = cells.map((c) => c.source.join('')).find((t) => t.includes('const config = {')) ?? '';
      return [...config.matchAll(/^ {2}(\w+):/gm)].map((m) => m[1] ?? '');
    });
  const settingNames = [...MODEL_KEYS, ...TRAIN_KEYS] as string[];
  // (seeds and cells, notebook 11's lists, are plurals of settings and refused as above; it passes neither wholesale.)
  const others = [...new Set(configKeys)].filter((k) => !settingNames.includes(k) && !['seeds', 'cells'].includes(k));
  assert.ok(others.length > 20, `${others.length} notebook config keys found`);
  assert.doesNotThrow(() => resolveRunSettings(Object.fromEntries(others.map((k) => [k, 1]))));
  // A notebook's config carries its own keys into the same calls; the settings in it still count.
  const s = resolveRunSettings({
    backend: 'auto',
    data: 'bundled',
    batch: 4,
    model: 'fused',
    smoke: true,
    units: 64,
    learningRate: 0.01,
    onLog: () => undefined,
  });
  assert.equal(s.units, 64);
  assert.equal(s.learningRate, 0.01);
});

test('resolving is done once: a resolved object is frozen and comes back as it is; a part is picked from a run', () => {
  const run = resolveRunSettings({ units: 64, batchSize: 32 });
  assert.ok(Object.isFrozen(run));
  assert.equal(resolveRunSettings(run), run);
  const model = resolveModelSettings(run);
  assert.deepEqual(Object.keys(model), Object.keys(MODEL_DEFAULTS));
  assert.equal(model.units, 64);
  assert.equal(resolveModelSettings(model), model);
  assert.equal(resolveTrainSettings(run).batchSize, 32);
  // A copy is an ordinary object again, checked afresh.
  assert.throws(() => resolveRunSettings({ ...run, units: 0 }), /units must be a whole number >= 1, got 0/);
});

test('fitting this machine is asked apart from validity: weights, then one training step, against the memory given', () => {
  const big = resolveModelSettings({ units: 30_000 });
  // 4 x 30000 x (28 + 30000 + 1) weights + 300,010 output ones, 4 bytes each, 4 copies while training.
  const bytes = (4 * 30_000 * (28 + 30_000 + 1) + 30_000 * 10 + 10) * 4 * 4;
  assert.doesNotThrow(() => checkFits(big, { memoryBytes: bytes }));
  assert.throws(
    () => checkFits(big, { memoryBytes: bytes - 1 }),
    /^UsageError: units 30000 needs about 57\.7 GB for 3\.6e\+9 weights/,
  );
  assert.throws(
    () => checkFits(resolveModelSettings({ units: 100_000 }), { memoryBytes: 1e15 }),
    /one tensor holds at most 4\.3e\+9/,
  );
  const run = resolveRunSettings({ batchSize: 100_000, trainingIters: 1_000_000 });
  // 128 units, 28 steps, 64 numbers held per LSTM unit and step: 100000 x 28 x 128 x 64 x 4 bytes = 91.8 GB.
  assert.throws(
    () => checkFits(run, { memoryBytes: 80e9, nameOf: (k) => `--${k}` }),
    /^UsageError: --batchSize 100000 with --units 128 needs about 91\.8 GB for one training step; this machine has 80\.0 GB$/,
  );
  assert.doesNotThrow(() => checkFits(resolveModelSettings(run), { memoryBytes: 80e9 }));
});

test("init: the tutorial's for one LSTM layer in one direction, tf.layers' for the rest; impossible pairs refused", () => {
  assert.equal(resolveModelSettings({}).init, 'tutorial');
  assert.equal(resolveModelSettings({ kind: 'layers' }).init, 'tutorial');
  assert.equal(resolveModelSettings({ kind: 'basic' }).init, 'tutorial');
  assert.equal(resolveModelSettings({ cell: 'gru' }).init, 'keras');
  assert.equal(resolveModelSettings({ layers: 2 }).init, 'keras');
  assert.equal(resolveModelSettings({ bidirectional: true }).init, 'keras');
  assert.equal(resolveModelSettings({ init: 'keras' }).init, 'keras');
  assert.throws(
    () => resolveModelSettings({ cell: 'gru', init: 'tutorial' }),
    /^UsageError: init "tutorial" is the tutorial's initialisation of one LSTM layer in one direction; use init "keras" for cell "gru"$/,
  );
  assert.throws(() => resolveModelSettings({ layers: 3, init: 'tutorial' }), /use init "keras" for layers 3$/);
  assert.throws(
    () => resolveModelSettings({ kind: 'basic', init: 'keras' }),
    /^UsageError: kind "basic" is the tutorial's own model and starts from its initialisation; init "keras" goes with kind "fused" or "layers"$/,
  );
  assert.throws(() => resolveModelSettings({ init: 'he' }), /init must be one of tutorial, keras, got "he"/);
});

test('a training step too large names every setting that makes it so: batch size, units, layers, direction', () => {
  const run = resolveRunSettings({
    batchSize: 1000,
    trainingIters: 10_000,
    layers: 1000,
    bidirectional: true,
    init: 'keras',
  });
  assert.throws(
    () => checkFits(run, { memoryBytes: 10e9, nameOf: (k) => `--${k}` }),
    /^UsageError: --batchSize 1000 with --units 128, --layers 1000, --bidirectional needs about \d+(\.\d)? GB for one training step/,
  );
});

test("the training-step estimate covers a first Adam step's peak on wasm (tf.profile), and is within 2x of it", async () => {
  await setupBackend({ backend: 'wasm' });
  const data = await loadMnist({ source: 'bundled', seed: 0 });
  for (const given of [
    { units: 32 },
    { units: 64, batchSize: 96 },
    { units: 32, layers: 2, bidirectional: true },
    { units: 32, cell: 'gru' },
    { units: 32, cell: 'simple-rnn' },
  ] as const) {
    const s = resolveRunSettings({ batchSize: 64, ...given });
    const model = buildClassifier(s);
    const optimizer = tf.train.adam(0.001);
    const batch = data.train.nextBatch(s.batchSize);
    const before = tf.memory().numBytes;
    const { peakBytes } = await tf.profile(() => {
      trainStep(model, optimizer, batch.xs, batch.ys);
    });
    const peak = peakBytes - before;
    const estimate = trainingStepBytes(s);
    const what = `${JSON.stringify(given)}: peak ${peak} bytes, estimate ${estimate}`;
    assert.ok(estimate >= peak, `${what}: the estimate is short`);
    assert.ok(estimate <= 2 * peak, `${what}: the estimate is more than twice the peak`);
    tf.dispose([batch.xs, batch.ys]);
    optimizer.dispose();
    model.dispose();
  }
});

test('on wasm the largest batch the check lets through trains a step; one more is refused, naming the heap', async () => {
  await setupBackend({ backend: 'wasm' });
  const fits = (batchSize: number): boolean => {
    try {
      checkFits(resolveRunSettings({ batchSize, trainingIters: batchSize + 1 }), { backend: 'wasm' });
      return true;
    } catch {
      return false;
    }
  };
  let [low, high] = [1, 1_000_000]; // fits(low), !fits(high)
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid;
  }
  assert.throws(
    () =>
      checkFits(resolveRunSettings({ batchSize: high, trainingIters: high + 1 }), {
        backend: 'wasm',
        nameOf: (k) => `--${k}`,
      }),
    new RegExp(
      `^UsageError: --batchSize ${high} with --units 128 needs about 4\\.3 GB for one training step; the wasm backend holds at most 4\\.3 GB \\(its WebAssembly heap`,
    ),
  );
  // The same batch on the machine's memory (more than the heap here) is not refused.
  assert.doesNotThrow(() =>
    checkFits(resolveRunSettings({ batchSize: high, trainingIters: high + 1 }), { backend: 'cpu' }),
  );
  // The largest that fits really trains: one step of the default model, inside the heap.
  const data = await loadMnist({ source: 'bundled', seed: 0 });
  const model = buildClassifier({});
  const optimizer = tf.train.adam(0.001);
  const batch = data.train.nextBatch(low);
  let loss = Number.NaN;
  const { peakBytes } = await tf.profile(() => {
    loss = trainStep(model, optimizer, batch.xs, batch.ys);
  });
  assert.ok(Number.isFinite(loss), `loss ${loss} at batch ${low}`);
  assert.ok(peakBytes < WASM_HEAP_BYTES, `peak ${peakBytes} bytes at batch ${low}`);
  tf.dispose([batch.xs, batch.ys]);
  optimizer.dispose();
  model.dispose();
});
