/**
 * The helper module behind the notebooks (`import * as rnn from '../dist'`): what the notebooks and
 * a library user need, named one by one. Everything else (IDX parsing, the download cache, the
 * wasm kernel fixes, rendering internals) is reached by its module path, e.g. `dist/data/idx`.
 */

// Backend and settings
export {
  describeBackend,
  setupBackend,
  type BackendChoice,
  type BackendInfo,
  type BackendName,
  type BackendOptions,
} from './backend';
export {
  CELL_TYPES,
  MODEL_DEFAULTS,
  MODEL_KINDS,
  resolveModelSettings,
  resolveRunSettings,
  resolveTrainSettings,
  TRAIN_DEFAULTS,
  type CellType,
  INIT_KINDS,
  type InitKind,
  type ModelKind,
  type ModelSettings,
  type RunSettings,
  type TrainSettings,
} from './settings';
export { UsageError } from './errors';
export { InterruptedError, watchForStop, type StopFlag, type StopOptions } from './interrupt';

// Data
export {
  DataSet,
  DownloadError,
  loadMnist,
  type Batch,
  type Datasets,
  type DataSource,
  type DownloadProgress,
  type LoadMnistOptions,
} from './data';

// Models
export {
  basicLstmCellStep,
  basicLstmFromLayers,
  basicToLayersWeights,
  BasicLstmClassifier,
  buildClassifier,
  buildLayersModel,
  FusedLstm,
  fusedLstm,
  layersClassifier,
  loadModel,
  modelName,
  saveModel,
  softmaxCrossEntropy,
  type Classifier,
  type FusedLstmArgs,
  type LayersClassifier,
  type LoadedClassifier,
  type LstmState,
  type SavedModelInfo,
  type SaveModelOptions,
} from './models';

// Metrics
export { accuracy, confusionMatrix, perClassAccuracy, type ClassAccuracy } from './metrics';

// Training
export {
  clipByGlobalNorm,
  countSteps,
  DivergedError,
  evaluate,
  evaluateBatch,
  trainStep,
  trainTutorial,
  TrainingInterruptedError,
  type DisplayRecord,
  type TrainHooks,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
  type ValidationRecord,
} from './train';
export { digitToText, formatIterLine, formatTable, formatTestingLine, type TextTable } from './format';
export { keep } from './notebook';

// Charts
export {
  confusionMatrixFigure,
  createLiveChart,
  createProgressBar,
  digitGridFigure,
  digitRows,
  digitStepsFigure,
  lineChartFigure,
  lstmCellFigure,
  lstmInsideFigure,
  pcaScatterFigure,
  perClassAccuracyFigure,
  predictionGalleryFigure,
  runLabel,
  runsComparisonFigure,
  cellLabel,
  show,
  stepProbabilitiesFigure,
  trainingCurvesFigure,
  unrolledRnnFigure,
  type Figure,
  type LineSeries,
  type TrainCurvePoint,
  type ValidationCurvePoint,
} from './plot';

// Run records and experiments
export {
  compareRunsTable,
  ExperimentInterruptedError,
  loadRunRecords,
  recordRun,
  runExperiment,
  runsTable,
  writeRunRecord,
  type Experiment,
  type RunRecord,
} from './runs';

// The course notebooks' helpers (src/teach)
export {
  argMax,
  calibrationBins,
  courseModel,
  disposeTrace,
  echoAccuracy,
  echoLoss,
  exampleRows,
  finiteDifferences,
  leastSureOrder,
  makeEchoTask,
  makeToySequences,
  maxAbsDifference,
  mistakesFirstOrder,
  pca,
  PLAIN_RNN_PARAM_NAMES,
  PlainRnn,
  plainRnnBackward,
  plainRnnForward,
  predictAll,
  type Predictions,
  relativeError,
  spectralNorm,
  stepProbabilities,
  topClasses,
  traceBasicLstm,
  trainEchoTruncated,
  trainingStepMs,
  trainingView,
  truncatedEchoGradients,
  type EchoTask,
  type TrainingView,
  type PlainRnnParams,
  type ToyTask,
} from './teach';

// In a tslab kernel, queue each socket's Jupyter messages (src/kernel-sends.ts): without it a
// notebook that prints or draws a lot can meet zeromq's EBUSY, and on wasm lose its kernel.
import { queueKernelSends } from './kernel-sends';

queueKernelSends();
export { queueKernelSends };
