/**
 * Comparison charts of runs (run records, runs/record.ts): accuracy against examples seen, or against wall time. Pure
 * builders (numbers in, plotly figure out), like those in src/plot/; `show` draws them.
 */
import type { Data } from 'plotly.js';
import type { Figure } from './style';
import { PALETTE } from './style';
import type { RunSettings } from '../settings';

/** A point of a run's curve (a run record's display or validation point). */
export interface TimedPoint {
  readonly step: number;
  readonly examplesSeen: number;
  readonly accuracy: number;
  /** Seconds since training started, where the run measured it. */
  readonly seconds?: number;
}

/** What a comparison needs of a run; a run record (runs/record.ts) is one. */
export interface ComparedRun {
  readonly config: Pick<RunSettings, 'cell' | 'kind' | 'bidirectional' | 'units' | 'layers'>;
  readonly history: readonly TimedPoint[];
  readonly validation: readonly TimedPoint[];
  readonly result: { readonly seconds: number; readonly steps: number };
}

/** `lstm/fused`, `gru`, `bi-lstm/layers`: the cell, and for LSTMs the implementation. */
export function cellLabel(config: Pick<RunSettings, 'cell' | 'kind' | 'bidirectional'>): string {
  return `${config.bidirectional ? 'bi-' : ''}${config.cell}${config.cell === 'lstm' ? `/${config.kind}` : ''}`;
}

/** Options of `runsComparisonFigure`. */
export interface RunsComparisonOptions {
  /** Horizontal axis: examples seen (the same budget lines up) or seconds since training started (what it cost). */
  readonly x?: 'examples' | 'seconds';
  /** Which accuracy: validation evaluations, or the tutorial's minibatch accuracy after each display step. */
  readonly curve?: 'validation' | 'train';
  readonly title?: string;
  readonly height?: number;
  /** Legend names, one per run (default `runLabel`). */
  readonly names?: readonly string[];
}

/** Defaults of `runsComparisonFigure`. */
export const RUNS_COMPARISON_DEFAULTS = { x: 'examples', curve: 'validation', height: 420 } as const;

/** A short legend name: `gru u64`, `lstm/fused u128 x2`. */
export function runLabel(record: ComparedRun): string {
  const { config } = record;
  return `${cellLabel(config)} u${config.units}${config.layers > 1 ? ` x${config.layers}` : ''}`;
}

/**
 * The wall time of a point: measured when the record has it, else estimated as the run's total
 * seconds times the fraction of steps done (records written without timing).
 */
function secondsAt(point: TimedPoint, record: ComparedRun): number {
  return point.seconds ?? (record.result.seconds * point.step) / Math.max(1, record.result.steps);
}

/** Accuracy of each run against examples seen or seconds: one line per run, same colour order as the runs. */
export function runsComparisonFigure(records: readonly ComparedRun[], options: RunsComparisonOptions = {}): Figure {
  const o = { ...RUNS_COMPARISON_DEFAULTS, ...options };
  if (o.names !== undefined && o.names.length !== records.length) {
    throw new Error(`runsComparisonFigure: ${o.names.length} names for ${records.length} runs`);
  }
  const data: Data[] = records.map((record, k) => {
    const points = o.curve === 'validation' ? record.validation : record.history;
    return {
      type: 'scatter',
      mode: o.curve === 'validation' ? 'lines+markers' : 'lines',
      name: o.names?.[k] ?? runLabel(record),
      line: { color: PALETTE[k % PALETTE.length], width: 2 },
      x: points.map((p) => (o.x === 'seconds' ? Number(secondsAt(p, record).toFixed(2)) : p.examplesSeen)),
      y: points.map((p) => p.accuracy),
    };
  });
  const what = o.curve === 'validation' ? 'Validation accuracy' : 'Minibatch accuracy';
  const xTitle = o.x === 'seconds' ? 'seconds of training (wall time)' : 'examples seen';
  return {
    data,
    layout: {
      title: { text: o.title ?? `${what} against ${xTitle}` },
      height: o.height,
      margin: { l: 70, r: 20, t: 60, b: 60 },
      xaxis: { title: { text: xTitle }, rangemode: 'tozero' },
      yaxis: { title: { text: 'accuracy' }, range: [0, 1.02] },
      legend: { orientation: 'h', x: 0, y: -0.2 },
    },
  };
}
