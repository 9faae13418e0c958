/** Run tables (list and compare), on fixed records. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTable } from '../../src/format';
import { compareRunsTable, runsTable } from '../../src/runs';
import { fakeRecord } from './fixtures';

const gru = { ...fakeRecord({ cell: 'gru', units: 16 }, 0.8125, '2026-11-02T10:05:00Z', 30.25), id: 'run-gru' };
const lstm = { ...fakeRecord({ cell: 'lstm' }, 0.75, '2026-11-01T09:00:00Z'), id: 'run-lstm' };
const fastLstm = {
  ...fakeRecord({ cell: 'lstm', learningRate: 0.01, layers: 2, bidirectional: true }, 0.7, '2026-11-01T09:30:00Z', 8),
  id: 'run-lstm-lr',
};

describe('tables', () => {
  test('formatTable pads text left and numbers right, two spaces apart', () => {
    assert.equal(
      formatTable({
        header: ['name', 'n'],
        rows: [
          ['a', '1'],
          ['bbb', '10.5'],
        ],
      }),
      'name     n\na        1\nbbb   10.5',
    );
  });

  test('runsTable: id, date, cell, units, layers, backend, data, examples, test acc, seconds', () => {
    assert.equal(
      formatTable(runsTable([lstm, gru])),
      [
        'id        date (UTC)        cell        units  layers  backend  data        examples  test acc  seconds',
        'run-lstm  2026-11-01 09:00  lstm/fused      8       1  cpu      bundled 30        90    0.7500     12.5',
        'run-gru   2026-11-02 10:05  gru            16       1  cpu      bundled 30        90    0.8125     30.3',
      ].join('\n'),
    );
  });

  test('compareRunsTable adds the config fields that differ and the accuracy change against the first run', () => {
    const table = compareRunsTable([lstm, fastLstm, gru]);
    assert.deepEqual(table.header, [
      'id',
      'date (UTC)',
      'cell',
      'units',
      'layers',
      'init',
      'learningRate',
      'backend',
      'data',
      'examples',
      'test acc',
      'seconds',
      'Δ acc',
    ]);
    assert.deepEqual(
      table.rows.map((r) => [r[5], r[6], r[12]]),
      [
        ['tutorial', '0.001', '-'], // one LSTM layer: the tutorial's initialisation by default
        ['keras', '0.01', '-0.0500'], // two bidirectional layers: tf.layers'
        ['keras', '0.001', '+0.0625'],
      ],
    );
    assert.deepEqual(compareRunsTable([]).rows, []);
  });
});
