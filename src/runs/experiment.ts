/**
 * One experiment: build the classifier a config describes, train it with the seed's loop
 * (`trainSeed`), and return the model with the run's record (not yet written). The CLI and the
 * experiments notebook both use it, so a run from either is recorded the same way.
 *
 * Reproducibility: the config's seed fixes the initial weights; the data's seed (the `seed`
 * given to `loadMnist`) fixes the shuffles, so batch order. With both equal and the same backend,
 * two runs log the same losses step for step (test/runs/experiment.test.ts).
 */
import type { Datasets } from '../data';
import { buildClassifier, resolveClassifierOptions, type Classifier } from '../models';
import { trainSeed, TRAIN_DEFAULTS, type TrainOptions, type TrainResult } from '../train';
import { createRunRecord, type RunConfig, type RunRecord, type TimedRecord, type TrainSettings } from './record';

/** Callbacks passed on to `trainSeed`, and the record's label. */
export type ExperimentHooks = Pick<TrainOptions, 'onLog' | 'onDisplay' | 'onValidation' | 'onProgress'> & { readonly label?: string };

/** A trained classifier (the caller disposes it), the loop's result and the run's record. */
export interface Experiment {
  readonly classifier: Classifier;
  readonly result: TrainResult;
  readonly record: RunRecord;
}

/** The training settings of TRAIN_DEFAULTS (the seed's hyperparameters). */
const TRAIN_SETTINGS_DEFAULTS: TrainSettings = {
  trainingIters: TRAIN_DEFAULTS.trainingIters,
  batchSize: TRAIN_DEFAULTS.batchSize,
  displayStep: TRAIN_DEFAULTS.displayStep,
  learningRate: TRAIN_DEFAULTS.learningRate,
  testExamples: TRAIN_DEFAULTS.testExamples,
  validateEvery: TRAIN_DEFAULTS.validateEvery,
  evalBatchSize: TRAIN_DEFAULTS.evalBatchSize,
};

/** `obj` without its undefined fields, so that spreading it over defaults keeps the defaults. */
function definedOnly<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Fills in defaults (the seed's sizes and hyperparameters, `defaultKind` for the cell) and checks the model options. */
export function resolveRunConfig(config: Partial<RunConfig> = {}): RunConfig {
  const train: TrainSettings = {
    trainingIters: config.trainingIters ?? TRAIN_SETTINGS_DEFAULTS.trainingIters,
    batchSize: config.batchSize ?? TRAIN_SETTINGS_DEFAULTS.batchSize,
    displayStep: config.displayStep ?? TRAIN_SETTINGS_DEFAULTS.displayStep,
    learningRate: config.learningRate ?? TRAIN_SETTINGS_DEFAULTS.learningRate,
    testExamples: config.testExamples ?? TRAIN_SETTINGS_DEFAULTS.testExamples,
    validateEvery: config.validateEvery ?? TRAIN_SETTINGS_DEFAULTS.validateEvery,
    evalBatchSize: config.evalBatchSize ?? TRAIN_SETTINGS_DEFAULTS.evalBatchSize,
  };
  // Only the model fields go to resolveClassifierOptions, so a config can carry both.
  const { kind, cell, layers, bidirectional, timeSteps, inputSize, units, numClasses, seed } = config;
  const model = resolveClassifierOptions(definedOnly({ kind, cell, layers, bidirectional, timeSteps, inputSize, units, numClasses, seed }));
  return { ...model, ...train };
}

/**
 * Builds, trains and tests the model `config` describes on `data`: xs `[batch, 28, 28]`, logits
 * `[batch, 10]`. Display and validation points carry the wall time they were reached.
 */
export async function runExperiment(config: Partial<RunConfig>, data: Datasets, hooks: ExperimentHooks = {}): Promise<Experiment> {
  const full = resolveRunConfig(config);
  const classifier = buildClassifier(full);
  const history: TimedRecord[] = [];
  const validation: TimedRecord[] = [];
  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;
  try {
    const { label, ...callbacks } = hooks;
    const result = await trainSeed(classifier, data, {
      ...full,
      ...callbacks,
      onDisplay: (r) => {
        history.push({ ...r, seconds: elapsed() });
        hooks.onDisplay?.(r);
      },
      onValidation: (r) => {
        validation.push({ ...r, seconds: elapsed() });
        hooks.onValidation?.(r);
      },
    });
    const record = createRunRecord({ config: full, model: classifier.name, data, result, history, validation, ...(label !== undefined ? { label } : {}) });
    return { classifier, result, record };
  } catch (err) {
    classifier.dispose();
    throw err;
  }
}
