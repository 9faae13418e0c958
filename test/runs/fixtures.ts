/** Run records made without training: fixed numbers, for the record, table, figure and CLI tests. */
import { DataSet, type Datasets } from '../../src/data';
import { createRunRecord, type RunRecord } from '../../src/runs';
import { resolveRunSettings, type RunSettings } from '../../src/settings';
import type { TrainResult } from '../../src/train';

function tinySet(n: number): DataSet {
  return new DataSet(new Float32Array(n * 784), new Uint8Array(n));
}

/** Splits of 30 / 5 / 10 blank digits, labelled bundled. */
export const TINY_DATA: Datasets = {
  train: tinySet(30),
  validation: tinySet(5),
  test: tinySet(10),
  source: 'bundled',
  description: 'tiny',
};

/** A record as runExperiment would make it: 3 display points, 1 validation point. */
export function fakeRecord(
  config: Partial<RunSettings>,
  testAccuracy: number,
  createdAt: string,
  seconds = 12.5,
): RunRecord {
  const full = resolveRunSettings({
    units: 8,
    trainingIters: 100,
    batchSize: 10,
    displayStep: 3,
    validateEvery: 9,
    ...config,
  });
  const history = [3, 6, 9].map((step) => ({
    step,
    examplesSeen: step * 10,
    loss: 2 / step,
    accuracy: step / 10,
    seconds: step,
  }));
  const validation = [{ step: 9, examplesSeen: 90, loss: 0.5, accuracy: 0.8, seconds: 9.5 }];
  const result: TrainResult = {
    steps: 9,
    examplesSeen: 90,
    history,
    validation,
    testingAccuracy: testAccuracy,
    testAccuracy,
    seconds,
  };
  return createRunRecord({
    config: full,
    model: 'test model',
    data: TINY_DATA,
    result,
    history,
    validation,
    backend: 'cpu',
    label: 'fixture',
    createdAt: new Date(createdAt),
  });
}
