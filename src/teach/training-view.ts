/**
 * What a hand-written training loop in a notebook shows and obeys while it runs, in one object, so
 * that the loop itself reads as the tutorial's: a chart of the minibatch and validation curves
 * redrawn in place, a progress bar, and Jupyter's stop button, which ends the loop before its next
 * step (src/interrupt.ts says why a loop must check). Notebook 4's loop uses it; `trainTutorial`
 * checks the stop button and yields to the event loop the same way, and leaves drawing to its
 * callers' hooks.
 */
import { watchForStop } from '../interrupt';
import {
  createLiveChart,
  createProgressBar,
  type ChartOutput,
  type NotebookOutput,
  type TrainCurvePoint,
  type ValidationCurvePoint,
} from '../plot';

/** Options of `trainingView`. */
export interface TrainingViewOptions {
  /** Optimiser steps the loop will make (`rnn.countSteps(trainingIters, batchSize)`). */
  readonly steps: number;
  readonly batchSize: number;
  /** The chart redraws on these steps (and the last). */
  readonly displayStep: number;
  readonly title?: string;
  /** Where the chart and the bar draw; default two new outputs of the current cell (tests pass their own). */
  readonly outputs?: { readonly chart: ChartOutput; readonly bar: NotebookOutput };
}

/** The loop's display and stop button; see `trainingView`. */
export interface TrainingView {
  /** Before step `step` (from 1): throws an InterruptedError when the stop button was pressed. */
  beforeStep(step: number): void;
  /** After step `step`: moves the bar; on display steps and the last, redraws the chart and lets the notebook show it. */
  afterStep(
    step: number,
    history: readonly TrainCurvePoint[],
    validation: readonly ValidationCurvePoint[],
  ): Promise<void>;
  /** The loop has finished: draws the last state of the chart and completes the bar. */
  finish(): void;
  /** Stops listening for the stop button; call it in a `finally`, however the loop ended. */
  release(): void;
}

/** A live chart and a progress bar (two outputs of the cell, in that order) and a watch for the stop button. */
export function trainingView(options: TrainingViewOptions): TrainingView {
  const { steps, batchSize, displayStep } = options;
  const title = options.title ?? 'Minibatch (train) and validation, while training';
  const live = createLiveChart({ title, ...(options.outputs ? { output: options.outputs.chart } : {}) });
  const bar = createProgressBar({
    total: steps * batchSize,
    ...(options.outputs ? { output: options.outputs.bar } : {}),
  });
  const stop = watchForStop();
  return {
    beforeStep(step) {
      stop.check(step - 1, steps);
    },
    async afterStep(step, history, validation) {
      bar.update(step * batchSize);
      if (step % displayStep === 0 || step === steps) {
        live.update(history, validation);
        await new Promise((resolve) => setImmediate(resolve)); // tslab sends the lines and charts now
      }
    },
    finish() {
      live.close();
      bar.done();
    },
    release() {
      stop.release();
    },
  };
}
