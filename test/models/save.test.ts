/**
 * Saving and loading models: a trained model reloads and predicts the same logits (1e-5) and
 * labels on the test split, on cpu, wasm and tensorflow, and across them; the folder is what
 * tfjs-node's own file:// handler writes and reads (checked with tfjs-node where it loads);
 * damaged or mismatched folders give a one-line error naming the file; a failed save leaves
 * nothing behind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setupBackend, type BackendName } from '../../src/backend';
import { loadMnist, type DataSet } from '../../src/data';
import { buildClassifier, loadModel, saveModel, type Classifier } from '../../src/models';
import { checkSaveTarget } from '../../src/models/save';
import type { ModelSettings } from '../../src/settings';
import { trainStep } from '../../src/train';
import { testBackends, tensorflowUnavailable } from '../backends';

const UNITS = 8;
let work: string;
let testSplit: DataSet;
let trainBatch: { xs: tf.Tensor3D; ys: tf.Tensor2D };

before(async () => {
  await setupBackend({ backend: 'cpu' });
  work = mkdtempSync(path.join(tmpdir(), 'rnn-save-'));
  const data = await loadMnist({ source: 'bundled', seed: 0 });
  testSplit = data.test;
  trainBatch = data.train.nextBatch(32);
});

after(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Logits of `model` on the whole test split, [numExamples, 10], as numbers. */
function testLogits(model: Classifier): Float32Array {
  const { xs, ys } = testSplit.all();
  const logits = model.predict(xs);
  const values = logits.dataSync() as Float32Array;
  tf.dispose([xs, ys, logits]);
  return values;
}

function labels(logits: Float32Array): number[] {
  const out: number[] = [];
  for (let row = 0; row < logits.length / 10; row++) {
    const r = logits.subarray(row * 10, row * 10 + 10);
    out.push(r.indexOf(Math.max(...r)));
  }
  return out;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, k) => Math.max(m, Math.abs(v - (b[k] ?? NaN))), 0);
}

/** A model trained a few steps, so that its weights differ from what the seeded initialisers (saved in the topology) would rebuild. */
function trainedModel(options: Partial<ModelSettings>): Classifier {
  const model = buildClassifier({ units: UNITS, seed: 4, ...options });
  const optimizer = tf.train.adam(0.05);
  for (let k = 0; k < 3; k++) trainStep(model, optimizer, trainBatch.xs, trainBatch.ys);
  optimizer.dispose();
  return model;
}

/** Every kind and cell, stacked and bidirectional; the stock 2-layer bidirectional LSTM not on cpu (10 s there). */
const FAMILIES: readonly (Partial<ModelSettings> & { readonly wasmOnly?: true })[] = [
  { kind: 'fused' },
  { kind: 'layers', layers: 2, bidirectional: true, wasmOnly: true },
  { kind: 'fused', bidirectional: true },
  { cell: 'gru' },
  { cell: 'simple-rnn', layers: 2 },
  { kind: 'basic' },
];

async function useBackend(name: BackendName): Promise<void> {
  await setupBackend({ backend: name });
}

describe('round trip on one backend', () => {
  for (const backend of testBackends()) {
    for (const { wasmOnly, ...options } of FAMILIES) {
      if (wasmOnly && backend === 'cpu') continue;
      test(`${backend}: ${JSON.stringify(options)} reloads with the same logits and labels on the test split`, async () => {
        await useBackend(backend);
        const model = trainedModel(options);
        const expected = testLogits(model);
        const dir = path.join(work, `${backend}-${Object.values(options).join('-')}`);
        const info = await saveModel(model, dir, { metadata: { note: 'test' } });
        assert.equal(info.name, options.kind === 'basic' ? 'tf.layers.lstm (from the TF1 BasicLSTMCell)' : model.name);
        model.dispose();
        const before = tf.memory().numTensors;
        const loaded = await loadModel(dir);
        const actual = testLogits(loaded);
        assert.ok(maxDiff(actual, expected) <= 1e-5, `logits differ by ${maxDiff(actual, expected)}`);
        assert.deepEqual(labels(actual), labels(expected));
        assert.equal(loaded.metadata.note, 'test');
        assert.equal(loaded.name, info.name);
        loaded.dispose();
        assert.equal(tf.memory().numTensors, before, 'load + predict + dispose leaves nothing');
      });
    }
  }
});

/** Each backend saves, another loads: every ordered pair among the backends here. */
function backendPairs(): [BackendName, BackendName][] {
  const names = testBackends();
  return names.flatMap((from) => names.filter((to) => to !== from).map((to): [BackendName, BackendName] => [from, to]));
}

describe('across backends', () => {
  for (const [from, to] of backendPairs()) {
    test(`saved on ${from}, loaded on ${to}: same labels on the test split (fused LSTM and GRU)`, async () => {
      for (const options of [{ kind: 'fused' }, { cell: 'gru', bidirectional: true }] as const) {
        await useBackend(from);
        const model = trainedModel(options);
        const expected = testLogits(model);
        const dir = path.join(work, `${from}-to-${to}-${options.kind ?? options.cell}`);
        await saveModel(model, dir);
        model.dispose();
        await useBackend(to);
        const loaded = await loadModel(dir);
        const actual = testLogits(loaded);
        assert.deepEqual(labels(actual), labels(expected));
        assert.ok(maxDiff(actual, expected) <= 1e-4, `logits differ by ${maxDiff(actual, expected)}`);
        loaded.dispose();
      }
      await useBackend('cpu');
    });
  }
});

describe('folder format', () => {
  test("writes tfjs-node's file:// layout: model.json (topology, format, weightsManifest -> weights.bin) and weights.bin", async () => {
    const model = buildClassifier({ cell: 'lstm', bidirectional: true, units: UNITS, seed: 1 });
    const dir = path.join(work, 'layout');
    await saveModel(model, dir);
    assert.deepEqual(readdirSync(dir).sort(), ['model.json', 'weights.bin']);
    assert.equal(statSync(dir).mode & 0o777, 0o755);
    const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    assert.equal(json.format, 'layers-model');
    assert.match(String(json.generatedBy), /^TensorFlow\.js tfjs-layers v/);
    assert.equal(json.weightsManifest.length, 1);
    assert.deepEqual(json.weightsManifest[0]?.paths, ['weights.bin']);
    const specs = json.weightsManifest[0]?.weights ?? [];
    const bytes = specs.reduce((n, s) => n + 4 * s.shape.reduce((a, d) => a * d, 1), 0);
    assert.equal(statSync(path.join(dir, 'weights.bin')).size, bytes);
    assert.ok(
      JSON.stringify(json.modelTopology).includes('"class_name":"FusedLstm"'),
      'the fused layer is saved under its registered class name',
    );
    // Any tfjs loader that reads the two files (as tfjs-node's file:// does) gets the model back.
    const reloaded = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: specs,
        weightData: new Uint8Array(readFileSync(path.join(dir, 'weights.bin'))).buffer,
      }),
    );
    const x = tf.randomUniform([2, 28, 28], 0, 1, 'float32', 3) as tf.Tensor3D;
    const [a, b] = [model.predict(x), reloaded.predict(x) as tf.Tensor];
    assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] ?? 1) < 1e-6);
    tf.dispose([x, a, b]);
    model.dispose();
    reloaded.dispose();
  });

  test("building and loading a large model print no 'Orthogonal initializer' warning (it would show as stderr in a notebook)", async () => {
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]): void => {
      warnings.push(args[0]);
    };
    try {
      const model = buildClassifier({ cell: 'gru', units: 32, bidirectional: true, seed: 1 }); // 32 x 96 recurrent kernels: over 2,000 numbers
      const dir = path.join(work, 'large');
      await saveModel(model, dir);
      model.dispose();
      (await loadModel(dir)).dispose();
      console.warn('other warnings still pass');
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(warnings, ['other warnings still pass']);
  });

  test('saving again replaces the model and leaves no temporary folders', async () => {
    const parent = path.join(work, 'replace');
    const dir = path.join(parent, 'model');
    const first = buildClassifier({ cell: 'gru', units: UNITS, seed: 1 });
    const second = buildClassifier({ cell: 'gru', units: UNITS + 2, seed: 1 });
    await saveModel(first, dir);
    await saveModel(second, dir);
    assert.deepEqual(readdirSync(parent), ['model']);
    const loaded = await loadModel(dir);
    assert.equal(loaded.model.getLayer('gru').getWeights()[1]?.shape[0], UNITS + 2);
    for (const m of [first, second, loaded]) m.dispose();
  });

  test('what a killed save left behind: the previous model is named by a load, and the next save clears it all', async () => {
    const parent = path.join(work, 'killed');
    const dir = path.join(parent, 'model');
    const first = buildClassifier({ cell: 'gru', units: UNITS, seed: 1 });
    await saveModel(first, dir);
    // Killed between the two renames of a replacement: the model moved aside, a new one half written.
    renameSync(dir, path.join(parent, '.model.old-k1'));
    mkdirSync(path.join(parent, '.model.tmp-k1'));
    writeFileSync(path.join(parent, '.model.tmp-k1', 'model.json'), '{"modelTopo');
    await assert.rejects(loadModel(dir), (err: Error) => {
      assert.equal(
        err.message,
        `${dir}: no such model folder, but a save that was stopped while replacing it left the previous model in ${path.join(parent, '.model.old-k1')}: rename that to model to load it`,
      );
      return true;
    });
    // Following the message loads it.
    renameSync(path.join(parent, '.model.old-k1'), dir);
    const back = await loadModel(dir);
    back.dispose();
    // A leftover of each kind beside a model in place: the next save removes both.
    mkdirSync(path.join(parent, '.model.old-k2'));
    writeFileSync(path.join(parent, '.model.old-k2', 'model.json'), '{}');
    const second = buildClassifier({ cell: 'gru', units: UNITS + 2, seed: 1 });
    await saveModel(second, dir);
    assert.deepEqual(readdirSync(parent), ['model']);
    const loaded = await loadModel(dir);
    assert.equal(loaded.model.getLayer('gru').getWeights()[1]?.shape[0], UNITS + 2);
    // Another model's leftovers in the same parent are not touched.
    mkdirSync(path.join(parent, '.other.tmp-k3'));
    await saveModel(first, dir);
    assert.deepEqual(readdirSync(parent).sort(), ['.other.tmp-k3', 'model']);
    for (const m of [first, second, loaded]) m.dispose();
  });
});

describe('folders saved by version 0.1', () => {
  test('load and give the logits 0.1 computed (bidirectional layers built with its ReverseTime layer)', async () => {
    await useBackend('cpu');
    const fixture = path.join(__dirname, '..', 'fixtures', 'saved-0.1');
    const expected = JSON.parse(readFileSync(path.join(fixture, 'expected.json'), 'utf8')) as { logits: number[] };
    assert.match(readFileSync(path.join(fixture, 'model', 'model.json'), 'utf8'), /"class_name":"ReverseTime"/);
    const loaded = await loadModel(path.join(fixture, 'model'));
    assert.equal(loaded.metadata.note, 'saved by rnn-notebooks 0.1.0');
    const x = tf.randomUniform([2, 28, 28], 0, 1, 'float32', 42) as tf.Tensor3D;
    const logits = loaded.predict(x);
    assert.ok(maxDiff(logits.dataSync() as Float32Array, Float32Array.from(expected.logits)) < 1e-5);
    tf.dispose([x, logits]);
    loaded.dispose();
  });
});

describe("tfjs-node's own file:// handler", {
  skip: tensorflowUnavailable() !== undefined && `tfjs-node does not load (${tensorflowUnavailable()})`,
}, () => {
  test('reads a folder saveModel wrote, and saveModel reads a folder it wrote', async () => {
    await useBackend('tensorflow');
    const x = tf.randomUniform([3, 28, 28], 0, 1, 'float32', 8) as tf.Tensor3D;
    const model = trainedModel({ kind: 'fused', bidirectional: true });
    const ours = path.join(work, 'ours-for-tfjs-node');
    await saveModel(model, ours);
    const byNode = await tf.loadLayersModel(`file://${path.join(ours, 'model.json')}`);
    const expected = model.predict(x);
    const viaNode = byNode.predict(x) as tf.Tensor;
    const theirs = path.join(work, 'written-by-tfjs-node');
    await byNode.save(`file://${theirs}`);
    const back = await loadModel(theirs);
    const viaOurs = back.predict(x);
    for (const [what, t] of [
      ['tfjs-node loading ours', viaNode],
      ["ours loading tfjs-node's", viaOurs],
    ] as const) {
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(t, expected))).dataSync()[0] ?? 1);
      assert.ok(d < 1e-6, `${what}: logits differ by ${d}`);
    }
    tf.dispose([x, expected, viaNode, viaOurs]);
    for (const m of [model, back]) m.dispose();
    byNode.dispose();
    await useBackend('cpu');
  });
});

describe('failures', () => {
  /** A fresh saved GRU model folder to damage. */
  async function savedFolder(name: string): Promise<string> {
    const dir = path.join(work, 'bad', name);
    const model = buildClassifier({ cell: 'gru', units: UNITS, seed: 1 });
    await saveModel(model, dir);
    model.dispose();
    return dir;
  }

  async function loadFails(dir: string, message: RegExp, file: string): Promise<void> {
    const before = tf.memory().numTensors;
    await assert.rejects(loadModel(dir), (err: Error) => {
      assert.match(err.message, message);
      assert.ok(err.message.includes(file), `"${err.message}" names ${file}`);
      assert.ok(!err.message.includes('\n'), 'one line');
      return true;
    });
    assert.equal(tf.memory().numTensors, before, 'a failed load leaves no tensors');
  }

  test('a missing folder, or one without model.json', async () => {
    await loadFails(path.join(work, 'nowhere'), /no such model folder/, path.join(work, 'nowhere'));
    const empty = path.join(work, 'bad', 'empty');
    mkdirSync(empty, { recursive: true });
    await loadFails(empty, /model\.json: missing \(not a saved model folder\)/, path.join(empty, 'model.json'));
  });

  test('model.json that is not JSON, or not a layers model', async () => {
    const dir = await savedFolder('json');
    writeFileSync(path.join(dir, 'model.json'), '{"modelTopology": {');
    await loadFails(dir, /model\.json: not valid JSON/, path.join(dir, 'model.json'));
    writeFileSync(path.join(dir, 'model.json'), '{"weightsManifest": []}');
    await loadFails(dir, /no modelTopology object/, path.join(dir, 'model.json'));
  });

  test('weights.bin missing, too short or too long', async () => {
    const dir = await savedFolder('weights');
    const bin = path.join(dir, 'weights.bin');
    const bytes = readFileSync(bin);
    writeFileSync(bin, bytes.subarray(0, bytes.length - 4));
    await loadFails(dir, /bytes, but model\.json lists weights of \d+ bytes \(too short\)/, bin);
    writeFileSync(bin, Buffer.concat([bytes, Buffer.alloc(8)]));
    await loadFails(dir, /too long/, bin);
    rmSync(bin);
    await loadFails(dir, /weights\.bin: missing \(listed in model\.json\)/, bin);
  });

  test('a weight that is NaN or infinite (a diverged run, a damaged file) is refused, naming it', async () => {
    const dir = await savedFolder('nan');
    const bin = path.join(dir, 'weights.bin');
    const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    const first = json.weightsManifest[0]?.weights[0];
    assert.ok(first);
    const bytes = readFileSync(bin);
    const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    floats[3] = Number.NaN; // the first weight's fourth value
    writeFileSync(bin, Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength));
    await loadFails(
      dir,
      new RegExp(`: weight ${first.name} holds NaN at index 3 \\(1 of \\d+ values are not finite numbers\\)$`),
      bin,
    );
    floats[3] = Number.POSITIVE_INFINITY;
    writeFileSync(bin, Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength));
    await loadFails(dir, /holds Infinity at index 3/, bin);
  });

  test('weights whose shapes do not match the topology', async () => {
    const dir = await savedFolder('shapes');
    const jsonPath = path.join(dir, 'model.json');
    const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as tf.io.ModelJSON;
    const kernel = json.weightsManifest[0]?.weights.find((w) => w.name === 'gru/kernel');
    assert.ok(kernel);
    kernel.shape = [kernel.shape[1] ?? 0, kernel.shape[0] ?? 0]; // same size, transposed
    writeFileSync(jsonPath, JSON.stringify(json));
    await loadFails(dir, /weight gru\/kernel has shape \[24, 28\] but the topology needs \[28, 24\]/, jsonPath);
  });

  test('a topology naming an unknown layer class', async () => {
    const dir = await savedFolder('class');
    const jsonPath = path.join(dir, 'model.json');
    writeFileSync(jsonPath, readFileSync(jsonPath, 'utf8').replace('"class_name":"GRU"', '"class_name":"NoSuchLayer"'));
    await loadFails(dir, /cannot build the model \(.*NoSuchLayer/, jsonPath);
  });

  test('a failed save writes nothing: no folder, no parent folders, no temporary files', async () => {
    const model = buildClassifier({ cell: 'gru', units: UNITS, seed: 1 });
    model.dispose(); // its weights are gone: serialising fails
    const parent = path.join(work, 'failed-save');
    await assert.rejects(saveModel(model, path.join(parent, 'deeper', 'model')));
    assert.equal(existsSync(parent), false);

    const file = path.join(work, 'a-file');
    writeFileSync(file, 'x');
    const live = buildClassifier({ cell: 'gru', units: UNITS, seed: 1 });
    await assert.rejects(saveModel(live, file), /exists and is not a folder/);
    const notes = path.join(work, 'notes');
    mkdirSync(notes);
    writeFileSync(path.join(notes, 'todo.txt'), 'keep me');
    await assert.rejects(saveModel(live, notes), /folder without model\.json; refusing to replace it/);
    assert.deepEqual(readdirSync(notes), ['todo.txt']);
    assert.equal(readdirSync(work).filter((n) => n.includes('.tmp-') || n.includes('.old-')).length, 0);
    live.dispose();
  });

  test('checkSaveTarget refuses a disk without room for the model before training, by what df says is free', async () => {
    // The reference: df's count of the bytes available to this user on the disk holding work/.
    const available = Number(
      execFileSync('df', ['-B1', '--output=avail', work], { encoding: 'utf8' }).trim().split('\n')[1],
    );
    assert.ok(available > 200e6, `df says ${available} bytes free`);
    const target = path.join(work, 'roomy', 'model');
    await assert.rejects(
      checkSaveTarget(target, available + 100e6),
      /^UsageError: cannot save a model to .*roomy\/model: the disk holding .* has [\d.]+ MB free, the model needs about [\d.]+ MB$/,
    );
    assert.equal(await checkSaveTarget(target, available - 100e6), 'new');
    assert.equal(existsSync(path.join(work, 'roomy')), false, 'nothing made');
  });

  test('a folder that cannot be written is refused by checkSaveTarget, before any training; a new one leaves nothing', async () => {
    const file = path.join(work, 'not-a-folder');
    writeFileSync(file, 'x');
    await assert.rejects(
      checkSaveTarget(path.join(file, 'model')),
      /^UsageError: cannot save a model to .*not-a-folder\/model: .*not-a-folder cannot be written \(ENOTDIR\)$/,
    );
    // A place the kernel refuses (sysfs: EPERM even for root), where this machine has one.
    const refused = await mkdtemp(path.join('/sys', 'rnn-probe-')).then(
      async (made) => {
        rmSync(made, { recursive: true, force: true });
        return false;
      },
      () => true,
    );
    if (refused)
      await assert.rejects(checkSaveTarget('/sys/rnn-model'), /\/sys cannot be written \((EPERM|EROFS|EACCES)\)$/);
    const fresh = path.join(work, 'fresh-parent', 'deeper', 'model');
    assert.equal(await checkSaveTarget(fresh), 'new');
    assert.deepEqual(
      readdirSync(work).filter((n) => n.includes('.tmp-')),
      [],
      'the probe folder is removed',
    );
    assert.equal(
      existsSync(path.join(work, 'fresh-parent')),
      false,
      'no folder is made for a save that has not happened',
    );
  });
});
