/** Charts for the notebooks: pure figure builders, tslab rendering, live training views (named re-exports only). */
export {
  confusionMatrix,
  confusionMatrixFigure,
  digitFigure,
  digitGridFigure,
  digitRows,
  digitStepsFigure,
  downsample,
  sequenceHeatmapFigure,
  stepProbabilitiesFigure,
  trainingCurvesFigure,
  type ConfusionMatrixOptions,
  type DigitFigureOptions,
  type DigitGridInput,
  type DigitGridOptions,
  type DigitStepsFigureOptions,
  type Figure,
  type SequenceHeatmapOptions,
  type StepProbabilitiesOptions,
  type TrainCurvePoint,
  type TrainingCurvesOptions,
  type ValidationCurvePoint,
} from './figures';
export { createChartOutput, createOutput, loadPlotly, show, type ChartOutput, type MimeBundle, type NotebookOutput, type ShowOptions } from './render';
export { createLiveChart, createProgressBar, type LiveChart, type LiveChartOptions, type ProgressBar, type ProgressBarOptions } from './live';
