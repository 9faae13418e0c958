/**
 * Run records as plain-text tables, for the runs CLI and notebooks (pure: they return strings).
 * `runsTable` lists runs; `compareRunsTable` lines runs up against the first one: it adds every
 * config field that differs between them and the change in test accuracy.
 */
import type { TextTable } from '../format';
import { cellLabel } from '../plot';
import type { RunSettings } from '../settings';
import type { RunRecord } from './record';

/** `2026-11-28 01:30` (UTC). */
function shortDate(iso: string): string {
  return iso.slice(0, 16).replace('T', ' ');
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'NaN';
}

const LIST_HEADER = [
  'id',
  'date (UTC)',
  'cell',
  'units',
  'layers',
  'backend',
  'data',
  'examples',
  'test acc',
  'seconds',
] as const;

function listRow(r: RunRecord): string[] {
  return [
    r.id,
    shortDate(r.createdAt),
    cellLabel(r.config),
    String(r.config.units),
    String(r.config.layers),
    r.backend,
    `${r.data.source} ${r.data.trainSize}`,
    String(r.result.examplesSeen),
    fixed(r.result.testAccuracy, 4),
    fixed(r.result.seconds, 1),
  ];
}

/** One row per run: id, date, cell, units, layers, backend, data (source and training-set size), examples seen, test accuracy, seconds. */
export function runsTable(records: readonly RunRecord[]): TextTable {
  return { header: [...LIST_HEADER], rows: records.map(listRow) };
}

/** Config fields the list already shows (as columns or inside `cell`). */
const SHOWN: ReadonlySet<keyof RunSettings> = new Set(['cell', 'kind', 'bidirectional', 'units', 'layers']);

/**
 * The list's columns plus every other config field whose value differs between the runs (e.g.
 * `learningRate`, `seed`), and `Δ acc`: test accuracy minus the first run's.
 */
export function compareRunsTable(records: readonly RunRecord[]): TextTable {
  const first = records[0];
  if (first === undefined) return runsTable([]);
  const keys = (Object.keys(first.config) as (keyof RunSettings)[]).filter(
    (key) => !SHOWN.has(key) && records.some((r) => r.config[key] !== first.config[key]),
  );
  const header = [...LIST_HEADER.slice(0, 5), ...keys, ...LIST_HEADER.slice(5), 'Δ acc'];
  const rows = records.map((r) => {
    const base = listRow(r);
    const delta = r.result.testAccuracy - first.result.testAccuracy;
    const sign = delta > 0 ? '+' : '';
    return [
      ...base.slice(0, 5),
      ...keys.map((key) => String(r.config[key])),
      ...base.slice(5),
      r === first ? '-' : `${sign}${fixed(delta, 4)}`,
    ];
  });
  return { header, rows };
}
