/**
 * Reproducibility: the same seed on the same backend (each of cpu, wasm, tensorflow) gives the
 * same run, display record for display record, for the LSTM (fused and stock), GRU and
 * SimpleRNN; another seed does not.
 * And runExperiment's record describes the run it made.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../src/backend';
import { DataSet, loadMnist, type Datasets } from '../../src/data';
import { splitSeeds } from '../../src/data/dataset';
import { formatTestingLine } from '../../src/format';
import { runExperiment } from '../../src/runs';
import type { RunSettings } from '../../src/settings';
import { describeOnBackends } from '../backends';

let bundled: Datasets;

before(async () => {
  await setupBackend({ backend: 'cpu' });
  bundled = await loadMnist({ source: 'bundled', seed: 0 });
});

/** The first n examples of a split as a fresh DataSet with its own shuffle seed. */
function head(split: DataSet, n: number, seed: number): DataSet {
  return new DataSet(split.images.subarray(0, n * 784), split.labels.subarray(0, n), { seed });
}

/** Real digits, few of them (the cpu backend is slow), seeded as loadMnist seeds its splits. */
function smallData(seed: number): Datasets {
  const seeds = splitSeeds(seed);
  return {
    train: head(bundled.train, 800, seeds.train),
    validation: head(bundled.validation, 100, seeds.validation),
    test: head(bundled.test, 200, seeds.test),
    source: 'bundled',
    description: 'bundled digits, first 800 / 100 / 200',
  };
}

const SMALL: Partial<RunSettings> = {
  units: 8,
  batchSize: 16,
  trainingIters: 16 * 9,
  displayStep: 1,
  validateEvery: 4,
  learningRate: 0.01,
};

/** One run from scratch: data loaded with the seed (shuffles), model built with it (weights). */
async function run(config: Partial<RunSettings>, dataSeed: number): Promise<Awaited<ReturnType<typeof runExperiment>>> {
  const data = smallData(dataSeed);
  const experiment = await runExperiment({ ...SMALL, ...config }, data);
  experiment.classifier.dispose();
  return experiment;
}

/** The numbers of a record's history, without the wall times (which differ run to run). */
function numbers(
  points: readonly { step: number; examplesSeen: number; loss: number; accuracy: number }[],
): number[][] {
  return points.map((p) => [p.step, p.examplesSeen, p.loss, p.accuracy]);
}

describeOnBackends('the same seed gives the same losses step for step', () => {
  for (const config of [
    { cell: 'lstm', kind: 'fused' },
    { cell: 'lstm', kind: 'layers' },
    { cell: 'gru' },
    { cell: 'simple-rnn', bidirectional: true },
  ] as const) {
    test(JSON.stringify(config), async () => {
      const a = await run({ ...config, seed: 3 }, 3);
      const b = await run({ ...config, seed: 3 }, 3);
      assert.equal(a.result.history.length, 8);
      assert.deepEqual(numbers(a.result.history), numbers(b.result.history), 'display records');
      assert.deepEqual(numbers(a.result.validation), numbers(b.result.validation), 'validation records');
      assert.equal(a.result.testAccuracy, b.result.testAccuracy);
      assert.deepEqual(numbers(a.record.history), numbers(a.result.history), 'the record holds the same history');
    });
  }

  test('another weight seed, or another data seed, changes the losses', async () => {
    const base = await run({ cell: 'gru', seed: 3 }, 3);
    const otherWeights = await run({ cell: 'gru', seed: 4 }, 3);
    const otherBatches = await run({ cell: 'gru', seed: 3 }, 4);
    assert.notDeepEqual(numbers(otherWeights.result.history), numbers(base.result.history));
    assert.notDeepEqual(numbers(otherBatches.result.history), numbers(base.result.history));
  });
});

describe('runExperiment', () => {
  before(async () => {
    await setupBackend({ backend: 'cpu' });
  });

  test('returns the trained classifier and a record of the run, with timed points; no tensors left after dispose', async () => {
    const data = smallData(1);
    const before = tf.memory().numTensors;
    const lines: string[] = [];
    const { classifier, result, record } = await runExperiment({ ...SMALL, cell: 'gru', layers: 2, seed: 1 }, data, {
      label: 'test',
      onLog: (l) => lines.push(l),
    });
    assert.equal(classifier.name, '2 x tf.layers.gru');
    assert.equal(lines.at(-1), formatTestingLine(result.testingAccuracy));
    assert.equal(record.label, 'test');
    assert.equal(record.backend, 'cpu');
    assert.equal(record.model, classifier.name);
    assert.deepEqual(
      {
        cell: record.config.cell,
        kind: record.config.kind,
        layers: record.config.layers,
        units: record.config.units,
        seed: record.config.seed,
        batchSize: record.config.batchSize,
      },
      { cell: 'gru', kind: 'layers', layers: 2, units: 8, seed: 1, batchSize: 16 },
    );
    assert.deepEqual(record.data, {
      source: 'bundled',
      description: data.description,
      trainSize: 800,
      validationSize: 100,
      testSize: 200,
    });
    assert.equal(record.result.testAccuracy, result.testAccuracy);
    assert.equal(record.validation.length, 2);
    const times = record.history.map((p) => p.seconds ?? NaN);
    assert.ok(
      times.every((t, k) => t > 0 && (k === 0 || t >= (times[k - 1] ?? 0))),
      `increasing wall times: ${times.join(', ')}`,
    );
    assert.ok(record.result.seconds >= (times.at(-1) ?? Infinity));
    assert.match(record.id, /^\d{8}-\d{6}-2xgru-u8-[0-9a-f]{4}$/);
    classifier.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  test('rejects an impossible model before training', async () => {
    const data = smallData(1);
    await assert.rejects(
      runExperiment({ cell: 'gru', kind: 'fused' }, data),
      /kind "fused" is an LSTM implementation; cell "gru"/,
    );
  });
});
