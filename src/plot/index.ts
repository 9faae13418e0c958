/** Charts for the notebooks: pure figure builders, tslab rendering, live training views (named re-exports only). */
export { confusionMatrixFigure, sequenceHeatmapFigure, stepProbabilitiesFigure, type ConfusionMatrixOptions, type SequenceHeatmapOptions, type StepProbabilitiesOptions } from './matrices';
export { downsample, trainingCurvesFigure, type TrainCurvePoint, type TrainingCurvesOptions, type ValidationCurvePoint } from './curves';
export {
  digitGridFigure,
  digitRows,
  digitStepsFigure,
  type DigitGridInput,
  type DigitGridOptions,
  type DigitStepsFigureOptions,
} from './digits';
export type { Figure } from './style';
export { createChartOutput, createOutput, loadPlotly, show, type ChartOutput, type MimeBundle, type NotebookOutput, type ShowOptions } from './render';
export { createLiveChart, createProgressBar, type LiveChart, type LiveChartOptions, type ProgressBar, type ProgressBarOptions } from './live';
