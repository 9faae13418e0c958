/**
 * One trained LSTM for the notebooks that study a trained network (9, inside the network;
 * 10, predictions and calibration): the first of them to run trains it with the tutorial's loop
 * (`trainTutorial`, as in the training notebook) and saves it; the others load it instead of
 * training the same model again. The folder keeps the settings it was trained with, and a
 * request with other settings (or other data) trains and saves afresh.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Datasets } from '../data';
import { buildClassifier, isLayersClassifier, loadModel, saveModel, type LayersClassifier } from '../models';
import { MODEL_JSON } from '../models/save';
import { resolveRunSettings, type RunSettings } from '../settings';
import { countSteps, trainTutorial, type TrainProgress } from '../train';

/**
 * What the model is trained with, under the names every run uses (src/settings.ts); all of it is
 * compared before a saved model is reused. `trainingIters` 51,300 with `batchSize` 128 is 400 steps.
 */
export type CourseModelSettings = Pick<RunSettings, 'units' | 'learningRate' | 'batchSize' | 'trainingIters' | 'seed'> &
  Partial<Pick<RunSettings, 'init'>>;

/** Options of `courseModel`. */
export interface CourseModelOptions extends CourseModelSettings {
  /** Folder the trained model is saved to and loaded from (`model.json` + `weights.bin`). */
  readonly dir: string;
  /** Called after every optimiser step when it trains. */
  readonly onProgress?: (progress: TrainProgress) => void;
}

/** The trained model and where it came from. */
export interface CourseModel {
  /** The fused LSTM + dense model; `classifier.model` is its `tf.LayersModel`. The caller disposes it. */
  readonly classifier: LayersClassifier;
  /** True when this call trained it, false when it was loaded from `dir`. */
  readonly trainedNow: boolean;
  /** Wall time of the training and the tutorial loop's test at its end, measured when it was trained (also for a loaded model). */
  readonly trainSeconds: number;
}

const KEY = 'courseModel';

/** The settings and the data they were trained on, as stored with the model. */
function describe(settings: CourseModelSettings, data: Datasets): Record<string, unknown> {
  const { init, units, learningRate, batchSize, trainingIters, seed } = settings;
  return {
    init,
    units,
    learningRate,
    batchSize,
    trainingIters,
    seed,
    data: { source: data.source, trainSize: data.train.numExamples },
  };
}

/** Loads the model saved in `options.dir` when its settings match, else trains one with the tutorial's loop and saves it there. */
export async function courseModel(data: Datasets, options: CourseModelOptions): Promise<CourseModel> {
  const { init, units, learningRate, batchSize, trainingIters, seed } = options;
  const settings = resolveRunSettings({
    kind: 'fused',
    ...(init ? { init } : {}),
    units,
    learningRate,
    batchSize,
    trainingIters,
    seed,
  });
  const wanted = describe(settings, data);
  const saved = await access(path.join(options.dir, MODEL_JSON)).then(
    () => true,
    () => false,
  );
  if (saved) {
    const loaded = await loadModel(options.dir);
    const stored = loaded.metadata[KEY];
    const seconds = loaded.metadata.trainSeconds;
    if (JSON.stringify(stored) === JSON.stringify(wanted) && typeof seconds === 'number') {
      return { classifier: loaded, trainedNow: false, trainSeconds: seconds };
    }
    loaded.dispose();
  }
  const built = buildClassifier(settings);
  if (!isLayersClassifier(built)) throw new Error('courseModel: the fused kind builds a tf.layers model');
  const classifier = built;
  try {
    const result = await trainTutorial(classifier, data, {
      ...settings,
      displayStep: Math.max(1, countSteps(trainingIters, batchSize)), // one log line, at the end
      ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
    });
    const trainSeconds = result.seconds;
    await saveModel(classifier, options.dir, { metadata: { [KEY]: wanted, trainSeconds } });
    return { classifier, trainedNow: true, trainSeconds };
  } catch (err) {
    classifier.dispose();
    throw err;
  }
}
