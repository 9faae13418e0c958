/** Helpers of the course notebooks 5-11 (plain RNN and BPTT, vanishing gradients, the LSTM cell, variants, inside the network, predictions, experiments): named re-exports only. */
export { calibrationBins, type Calibration, type CalibrationBin } from './calibration';
export { courseModel, type CourseModel, type CourseModelOptions, type CourseModelSettings } from './course-model';
export {
  finiteDifferences,
  maxAbsDifference,
  relativeError,
  FINITE_DIFFERENCE_DEFAULTS,
  type FiniteDifferenceOptions,
} from './gradcheck';
export {
  disposeTrace,
  exampleRows,
  stepProbabilities,
  traceBasicLstm,
  LSTM_TRACE_NAMES,
  type LstmTrace,
} from './inspect';
export { covarianceMatrix, meanPoint, pca, PCA_DEFAULTS, type PcaOptions, type PcaResult } from './pca';
export {
  PlainRnn,
  plainRnnBackward,
  plainRnnForward,
  plainRnnLoss,
  PLAIN_RNN_DEFAULTS,
  PLAIN_RNN_PARAM_NAMES,
  type PlainRnnForward,
  type PlainRnnGradients,
  type PlainRnnOptions,
  type PlainRnnParams,
} from './plain-rnn';
export {
  argMax,
  leastSureOrder,
  mistakesFirstOrder,
  predictAll,
  topClasses,
  type Predictions,
} from './predictions';
export {
  echoAccuracy,
  echoLoss,
  makeEchoTask,
  trainEchoTruncated,
  truncatedEchoGradients,
  type EchoOptions,
  type EchoTask,
} from './echo';
export {
  makeToySequences,
  toyLabel,
  TOY_SEQUENCES_DEFAULTS,
  TOY_TASKS,
  type ToySequences,
  type ToySequencesOptions,
  type ToyTask,
} from './toy-tasks';
export { trainingStepMs, type StepTimeOptions } from './step-time';
export { spectralNorm, SPECTRAL_NORM_DEFAULTS, type SpectralNorm, type SpectralNormOptions } from './spectral';
export { trainingView, type TrainingView, type TrainingViewOptions } from './training-view';
