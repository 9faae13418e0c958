/**
 * Live views for training in a notebook: loss/accuracy curves and a progress bar, each one output
 * rewritten in place. They plug into the training loop's callbacks (`onDisplay`, `onProgress`);
 * redraws are throttled so a long run does not flood the kernel and the page with messages.
 * Throttling drops intermediate states only: `close()` / `done()` always draws the last one.
 */
import {
  trainingCurvesFigure,
  type TrainCurvePoint,
  type TrainingCurvesOptions,
  type ValidationCurvePoint,
} from './curves';
import { progressLine, progressText, type ProgressState } from '../format';
import {
  createChartOutput,
  createOutput,
  escapeHtml,
  type ChartOutput,
  type NotebookOutput,
  type ShowOptions,
} from './render';

/** Options for `createLiveChart`: those of `trainingCurvesFigure` plus when and where to draw. */
export interface LiveChartOptions extends TrainingCurvesOptions {
  /** Draw at most once per this many milliseconds. */
  readonly throttleMs?: number;
  /**
   * How the chart is shown (height, plotly config). `plotlyJson` defaults to false here: the
   * jupyterlab-plotly extension (JupyterLab, Notebook 7) draws an output's plotly JSON once and
   * ignores later updates of that output, so a live chart carried as JSON would freeze at its
   * first draw there; as HTML and script it redraws in place in every front-end.
   */
  readonly show?: ShowOptions;
  /** Where to draw; default a new chart output in the current cell. */
  readonly output?: ChartOutput;
  /** Clock in milliseconds; tests pass a fake one. */
  readonly now?: () => number;
}

/** Defaults of `createLiveChart`. */
export const LIVE_CHART_DEFAULTS = { throttleMs: 500 } as const;

/** A loss/accuracy chart that redraws in place while training runs. */
export interface LiveChart {
  /** Shows these histories (read when drawn, so arrays that keep growing are fine). */
  update(trainHistory: readonly TrainCurvePoint[], validationHistory?: readonly ValidationCurvePoint[]): void;
  /** Draws the last update if throttling held it back; later updates are errors. */
  close(): void;
}

/** Live training curves (x = examples seen) in one output, redrawn at most every `throttleMs`. */
export function createLiveChart(options: LiveChartOptions = {}): LiveChart {
  const o = { ...LIVE_CHART_DEFAULTS, ...options };
  const output = o.output ?? createChartOutput({ plotlyJson: false, ...o.show });
  const now = o.now ?? Date.now;
  let lastDraw = -Infinity;
  let pending: { train: readonly TrainCurvePoint[]; validation: readonly ValidationCurvePoint[] } | undefined;
  let closed = false;
  const draw = (): void => {
    if (pending === undefined) return;
    output.draw(trainingCurvesFigure(pending.train, pending.validation, o));
    pending = undefined;
    lastDraw = now();
  };
  return {
    update(trainHistory, validationHistory = []): void {
      if (closed) throw new Error('createLiveChart: update() after close()');
      pending = { train: trainHistory, validation: validationHistory };
      if (now() - lastDraw >= o.throttleMs) draw();
    },
    close(): void {
      if (closed) return;
      draw();
      closed = true;
    },
  };
}

/** The progress output: an HTML `<progress>` bar with the line beside it, and a text bar for text front-ends. */
export function progressBundle(
  state: ProgressState,
  label = 'examples',
): { 'text/html': string; 'text/plain': string } {
  const line = progressLine(state, label);
  const value = Math.min(state.examplesSeen, state.total);
  return {
    'text/html':
      `<div class="rnn-progress" style="display:flex;align-items:center;gap:10px;font-family:monospace;font-size:13px">` +
      `<progress value="${value}" max="${state.total}" style="width:260px"></progress><span>${escapeHtml(line)}</span></div>`,
    'text/plain': progressText(state, label),
  };
}

/** Options for `createProgressBar`. */
export interface ProgressBarOptions {
  /** Examples the run will see (`onProgress`'s `total`). */
  readonly total: number;
  /** What is counted. */
  readonly label?: string;
  /** Redraw at most once per this many milliseconds. */
  readonly throttleMs?: number;
  /** Where to draw; default a new output in the current cell. */
  readonly output?: NotebookOutput;
  /** Clock in milliseconds; tests pass a fake one. */
  readonly now?: () => number;
}

/** Defaults of `createProgressBar`. */
export const PROGRESS_BAR_DEFAULTS = { label: 'examples', throttleMs: 500 } as const;

/** A progress bar that redraws in place. */
export interface ProgressBar {
  update(examplesSeen: number): void;
  /** Draws the final state (total time); later updates are errors. */
  done(): void;
}

/** A progress bar (examples seen / total, elapsed, ETA) in one output; the clock starts when it is created. */
export function createProgressBar(options: ProgressBarOptions): ProgressBar {
  const o = { ...PROGRESS_BAR_DEFAULTS, ...options };
  if (!(Number.isFinite(o.total) && o.total >= 0))
    throw new Error(`createProgressBar: total must be a finite number >= 0, got ${o.total}`);
  const output = o.output ?? createOutput();
  const now = o.now ?? Date.now;
  const started = now();
  let lastDraw = -Infinity;
  let seen = 0;
  let finished = false;
  const draw = (): void => {
    const t = now();
    output.update(progressBundle({ examplesSeen: seen, total: o.total, elapsedMs: t - started, finished }, o.label));
    lastDraw = t;
  };
  return {
    update(examplesSeen: number): void {
      if (finished) throw new Error('createProgressBar: update() after done()');
      seen = examplesSeen;
      if (now() - lastDraw >= o.throttleMs || examplesSeen >= o.total) draw();
    },
    done(): void {
      if (finished) return;
      finished = true;
      draw();
    },
  };
}
