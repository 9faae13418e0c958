/** The comparison figure of runs and its labels, on fixed run records. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Data } from 'plotly.js';
import { cellLabel, runLabel, runsComparisonFigure } from '../../src/plot/runs';
import { fakeRecord } from '../runs/fixtures';

/** A trace's field, whatever the trace type. */
function field(trace: Data | undefined, key: 'x' | 'y' | 'name'): unknown {
  return (trace as Record<string, unknown> | undefined)?.[key];
}

const gru = { ...fakeRecord({ cell: 'gru', units: 16 }, 0.8125, '2026-11-02T10:05:00Z', 30.25), id: 'run-gru' };
const lstm = { ...fakeRecord({ cell: 'lstm' }, 0.75, '2026-11-01T09:00:00Z'), id: 'run-lstm' };
const fastLstm = {
  ...fakeRecord({ cell: 'lstm', learningRate: 0.01, layers: 2, bidirectional: true }, 0.7, '2026-11-01T09:30:00Z', 8),
  id: 'run-lstm-lr',
};

describe('run labels', () => {
  test('cellLabel shows the LSTM implementation and the direction', () => {
    assert.deepEqual(
      [lstm, gru, fastLstm].map((r) => cellLabel(r.config)),
      ['lstm/fused', 'gru', 'bi-lstm/fused'],
    );
    assert.deepEqual([lstm, gru, fastLstm].map(runLabel), ['lstm/fused u8', 'gru u16', 'bi-lstm/fused u8 x2']);
  });
});

describe('runsComparisonFigure', () => {
  test('one line per run: validation accuracy against examples seen, or against measured seconds', () => {
    const byExamples = runsComparisonFigure([lstm, gru]);
    assert.equal(byExamples.data.length, 2);
    assert.deepEqual(
      byExamples.data.map((d) => field(d, 'name')),
      ['lstm/fused u8', 'gru u16'],
    );
    assert.deepEqual(field(byExamples.data[0], 'x'), [90]);
    const bySeconds = runsComparisonFigure([lstm], { x: 'seconds', curve: 'train', names: ['mine'] });
    const trace = bySeconds.data[0];
    assert.deepEqual(
      [field(trace, 'x'), field(trace, 'y'), field(trace, 'name')],
      [[3, 6, 9], [0.3, 0.6, 0.9], 'mine'],
    );
    assert.match(
      String(bySeconds.layout.title && typeof bySeconds.layout.title === 'object' ? bySeconds.layout.title.text : ''),
      /Minibatch accuracy against seconds/,
    );
  });

  test('estimates seconds from the total for records without timing, and checks the names', () => {
    const untimed = { ...lstm, history: lstm.history.map(({ seconds: _s, ...p }) => p) };
    const trace = runsComparisonFigure([untimed], { x: 'seconds', curve: 'train' }).data[0];
    assert.deepEqual(
      field(trace, 'x'),
      [12.5 / 3, (12.5 * 2) / 3, 12.5].map((v) => Number(v.toFixed(2))),
    );
    assert.throws(() => runsComparisonFigure([lstm], { names: [] }), /1 runs/);
  });
});
