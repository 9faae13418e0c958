/**
 * One experiment: build the classifier a config describes, train it with the tutorial's loop
 * (`trainTutorial`), and return the model with the run's record (not yet written). The CLI and the
 * experiments notebook both use it, so a run from either is recorded the same way.
 *
 * Reproducibility: the config's seed fixes the initial weights; the data's seed (the `seed`
 * given to `loadMnist`) fixes the shuffles, so batch order. With both equal and the same backend,
 * two runs log the same losses step for step (test/runs/experiment.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { Datasets } from '../data';
import type { Classifier } from '../models';
import { classifierFor } from '../models/build';
import { checkFits, resolveRunSettings, type RunSettings } from '../settings';
import { trainTutorial, TrainingInterruptedError, type TrainHooks, type TrainResult } from '../train';
import { createRunRecord, type RunRecord, type RunRecordInput, type TimedRecord } from './record';

/** Callbacks passed on to `trainTutorial`, and the record's label. */
export type ExperimentHooks = TrainHooks & { readonly label?: string };

/** An experiment stopped by SIGINT or its signal: the record of what ran (marked interrupted); the classifier is freed. */
export class ExperimentInterruptedError extends TrainingInterruptedError {
  override readonly name: string = 'ExperimentInterruptedError';
  constructor(
    from: TrainingInterruptedError,
    readonly record: RunRecord,
  ) {
    super(from, from.history, from.validation);
  }
}

/** A trained classifier (the caller disposes it), the loop's result and the run's record. */
export interface Experiment {
  readonly classifier: Classifier;
  readonly result: TrainResult;
  readonly record: RunRecord;
}

/**
 * Builds, trains and tests the model `config` describes on `data`: xs `[batch, 28, 28]`, logits
 * `[batch, 10]`. Display and validation points carry the wall time they were reached.
 */
export async function runExperiment(
  config: Partial<RunSettings> | object,
  data: Datasets,
  hooks: ExperimentHooks = {},
): Promise<Experiment> {
  const full = resolveRunSettings(config);
  checkFits(full, { backend: tf.getBackend() });
  const classifier = classifierFor(full);
  const history: TimedRecord[] = [];
  const validation: TimedRecord[] = [];
  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;
  const { label, ...callbacks } = hooks;
  const recordOf = (result: TrainResult, interrupted?: RunRecordInput['interrupted']): RunRecord =>
    createRunRecord({
      config: full,
      model: classifier.name,
      data,
      result,
      history,
      validation,
      ...(interrupted !== undefined ? { interrupted } : {}),
      ...(label !== undefined ? { label } : {}),
    });
  try {
    const result = await trainTutorial(classifier, data, {
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
    return { classifier, result, record: recordOf(result) };
  } catch (err) {
    classifier.dispose();
    if (!(err instanceof TrainingInterruptedError)) throw err;
    const result: TrainResult = {
      steps: err.step,
      examplesSeen: err.step * full.batchSize,
      history: err.history,
      validation: err.validation,
      testingAccuracy: NaN,
      testAccuracy: NaN,
      seconds: elapsed(),
    };
    throw new ExperimentInterruptedError(err, recordOf(result, { step: err.step, steps: err.steps }));
  }
}
