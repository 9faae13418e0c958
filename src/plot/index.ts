/** Charts for the notebooks: pure figure builders, tslab rendering, live training views (named re-exports only). */
export {
  confusionMatrixFigure,
  sequenceHeatmapFigure,
  stepProbabilitiesFigure,
  type ConfusionMatrixOptions,
  type SequenceHeatmapOptions,
  type StepProbabilitiesOptions,
} from './matrices';
export {
  downsample,
  trainingCurvesFigure,
  type TrainCurvePoint,
  type TrainingCurvesOptions,
  type ValidationCurvePoint,
} from './curves';
export {
  digitGridFigure,
  digitRows,
  digitStepsFigure,
  type DigitGridInput,
  type DigitGridOptions,
  type DigitStepsFigureOptions,
} from './digits';
export type { Figure } from './style';
export {
  createChartOutput,
  createOutput,
  loadPlotly,
  show,
  type ChartOutput,
  type MimeBundle,
  type NotebookOutput,
  type ShowOptions,
} from './render';
export {
  createLiveChart,
  createProgressBar,
  type LiveChart,
  type LiveChartOptions,
  type ProgressBar,
  type ProgressBarOptions,
} from './live';
export {
  LSTM_CELL_FIGURE_DEFAULTS,
  lstmCellFigure,
  lstmInsideFigure,
  unrolledRnnFigure,
  UNROLLED_RNN_DEFAULTS,
  type InsidePanel,
  type LstmCellFigureOptions,
  type UnrolledRnnOptions,
} from './network';
export {
  lineChartFigure,
  pcaScatterFigure,
  perClassAccuracyFigure,
  predictionGalleryFigure,
  LINE_CHART_DEFAULTS,
  PREDICTION_GALLERY_DEFAULTS,
  type LineChartOptions,
  type LineSeries,
  type PcaScatterOptions,
  type PredictionGalleryInput,
  type PredictionGalleryOptions,
} from './results';
export {
  cellLabel,
  runLabel,
  runsComparisonFigure,
  RUNS_COMPARISON_DEFAULTS,
  type ComparedRun,
  type RunsComparisonOptions,
  type TimedPoint,
} from './runs';
