/** Run records (write, load, compare), one-call experiments (their comparison chart is plot/runs.ts) (named re-exports only). */
export {
  createRunRecord,
  isRecordFileName,
  newRunId,
  recordRun,
  RUN_RECORD_FORMAT,
  runVersions,
  WRITE_RUN_DEFAULTS,
  writeRunRecord,
  type RunDataInfo,
  type RunRecord,
  type RunRecordInput,
  type RunResult,
  type RunVersions,
  type TimedRecord,
  type WriteRunOptions,
} from './record';
export {
  loadRunRecords,
  parseRunRecord,
  selectRuns,
  type LoadedRuns,
  type LoadRunsOptions,
  type StoredRunRecord,
} from './load';
export { compareRunsTable, runsTable } from './table';
export { ExperimentInterruptedError, runExperiment, type Experiment, type ExperimentHooks } from './experiment';
