/**
 * Run records on disk: written atomically (no temporary files left, nothing at all when the
 * record cannot be serialised), read back equal (NaN survives as NaN), listed oldest first;
 * damaged files are skipped with a warning naming them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  createRunRecord,
  loadRunRecords,
  parseRunRecord,
  RUN_RECORD_FORMAT,
  recordRun,
  selectRuns,
  writeRunRecord,
  type RunRecord,
} from '../../src/runs';
import { fakeRecord, TINY_DATA } from './fixtures';

let work: string;
before(() => {
  work = mkdtempSync(path.join(tmpdir(), 'rnn-runs-'));
});
after(() => {
  rmSync(work, { recursive: true, force: true });
});

function freshDir(name: string): string {
  return path.join(work, name);
}

describe('writing', () => {
  test('writes <id>.json in a new folder, leaves no temporary file, and reads back equal', async () => {
    const dir = freshDir('write');
    const record = fakeRecord({ cell: 'gru' }, 0.75, '2026-11-01T10:00:00Z');
    const file = await writeRunRecord(record, { runsDir: dir });
    assert.equal(file, path.join(dir, `${record.id}.json`));
    assert.deepEqual(readdirSync(dir), [`${record.id}.json`]);
    const { runs, warnings } = await loadRunRecords(dir);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      runs.map((r) => r.record),
      [record],
    );
    assert.equal(runs[0]?.file, file);
  });

  test('holds config, backend, data sizes, seed, histories, accuracies, wall time, versions, timestamp and id', () => {
    const record = fakeRecord({ cell: 'lstm', seed: 7 }, 0.5, '2026-11-01T10:00:00Z');
    assert.equal(record.format, RUN_RECORD_FORMAT);
    assert.match(record.id, /^20261101-100000-lstm-u8-[0-9a-f]{4}$/);
    assert.equal(record.createdAt, '2026-11-01T10:00:00.000Z');
    assert.deepEqual(record.config, {
      kind: 'fused',
      init: 'tutorial',
      cell: 'lstm',
      layers: 1,
      bidirectional: false,
      timeSteps: 28,
      inputSize: 28,
      units: 8,
      numClasses: 10,
      forgetBias: 1,
      seed: 7,
      trainingIters: 100,
      batchSize: 10,
      displayStep: 3,
      learningRate: 0.001,
      clipNorm: 0,
      testExamples: 128,
      validateEvery: 9,
      evalBatchSize: 500,
    });
    assert.deepEqual(record.data, {
      source: 'bundled',
      description: 'tiny',
      trainSize: 30,
      validationSize: 5,
      testSize: 10,
    });
    assert.equal(record.history.length, 3);
    assert.equal(record.validation.length, 1);
    assert.deepEqual(record.result, {
      steps: 9,
      examplesSeen: 90,
      testingAccuracy: 0.5,
      testAccuracy: 0.5,
      seconds: 12.5,
    });
    // Read here from the installed packages' own package.json files, not through the code under test.
    const version = (file: string): unknown => (JSON.parse(readFileSync(file, 'utf8')) as { version: unknown }).version;
    assert.deepEqual(record.versions, {
      tfjs: version(require.resolve('@tensorflow/tfjs/package.json')),
      node: process.version,
      package: version(path.join(__dirname, '..', '..', 'package.json')),
    });
  });

  test('a record that cannot be serialised leaves nothing, not even the folder', async () => {
    const dir = freshDir('unserialisable');
    const bad = { ...fakeRecord({}, 0.5, '2026-11-01T10:00:00Z'), label: 10n as unknown as string };
    await assert.rejects(writeRunRecord(bad, { runsDir: dir }), /BigInt/);
    assert.equal(existsSync(dir), false);
  });

  test('never replaces an existing record, and refuses ids that are not plain file names', async () => {
    const dir = freshDir('exists');
    const record = fakeRecord({}, 0.5, '2026-11-01T10:00:00Z');
    await writeRunRecord(record, { runsDir: dir });
    await assert.rejects(writeRunRecord(record, { runsDir: dir }), /a run record with this id exists already/);
    await assert.rejects(writeRunRecord({ ...record, id: '../escape' }, { runsDir: dir }), /is not a safe file name/);
    assert.deepEqual(readdirSync(dir), [`${record.id}.json`]);
  });

  test('NaN (a diverged loss) is written as null and read back as NaN', async () => {
    const dir = freshDir('nan');
    const base = fakeRecord({}, 0.1, '2026-11-01T10:00:00Z');
    const record: RunRecord = { ...base, history: base.history.map((p, k) => (k === 2 ? { ...p, loss: NaN } : p)) };
    await writeRunRecord(record, { runsDir: dir });
    const { runs } = await loadRunRecords(dir);
    assert.ok(Number.isNaN(runs[0]?.record.history[2]?.loss));
  });

  test('recordRun creates and writes in one call, completing a partial config with the defaults', async () => {
    const dir = freshDir('one-call');
    const source = fakeRecord({ cell: 'simple-rnn' }, 0.3, '2026-11-01T10:00:00Z');
    const { record, path: file } = await recordRun(
      {
        config: { cell: 'simple-rnn', units: 8, seed: 2 },
        model: 'm',
        data: TINY_DATA,
        result: { ...source.result, history: source.history, validation: source.validation },
        label: 'nb',
      },
      { runsDir: dir },
    );
    assert.deepEqual(
      [
        record.config.kind,
        record.config.units,
        record.config.seed,
        record.config.batchSize,
        record.config.trainingIters,
      ],
      ['layers', 8, 2, 128, 100_000],
    );
    assert.throws(
      () =>
        createRunRecord({
          config: { cell: 'gru', kind: 'basic' },
          model: 'm',
          data: TINY_DATA,
          result: { ...source.result, history: [], validation: [] },
        }),
      /kind "basic" is an LSTM implementation; cell "gru"/,
    );
    assert.equal(record.label, 'nb');
    assert.equal(record.backend, tf.getBackend());
    assert.deepEqual(readdirSync(dir), [path.basename(file)]);
  });
});

describe('loading', () => {
  test('lists oldest first, skips damaged files with a warning naming each, ignores temporary and other files', async () => {
    const dir = freshDir('damaged');
    const newer = fakeRecord({ cell: 'gru' }, 0.8, '2026-11-02T10:00:00Z');
    const older = fakeRecord({ cell: 'lstm' }, 0.7, '2026-11-01T10:00:00Z');
    await writeRunRecord(newer, { runsDir: dir });
    await writeRunRecord(older, { runsDir: dir });
    writeFileSync(path.join(dir, 'cut-short.json'), JSON.stringify(older).slice(0, 100));
    writeFileSync(
      path.join(dir, 'wrong.json'),
      JSON.stringify({ ...older, config: { ...older.config, units: 'many' } }),
    );
    writeFileSync(path.join(dir, 'other-format.json'), JSON.stringify({ format: 'something/else' }));
    writeFileSync(path.join(dir, `.${older.id}.json.tmp-1-abcd`), '{');
    writeFileSync(path.join(dir, 'notes.txt'), 'not a record');
    const seen: string[] = [];
    const { runs, warnings } = await loadRunRecords(dir, { onWarning: (m) => seen.push(m) });
    assert.deepEqual(
      runs.map((r) => r.record.id),
      [older.id, newer.id],
    );
    assert.deepEqual(seen, warnings);
    assert.equal(warnings.length, 3);
    assert.match(warnings[0] ?? '', new RegExp(`^skipped ${path.join(dir, 'cut-short.json')}: not valid JSON`));
    assert.match(
      warnings[1] ?? '',
      /other-format\.json: not a run record \(format "something\/else" is not rnn-notebooks\/run@3 \(or rnn-notebooks\/run@2, rnn-notebooks\/run@1\)\)/,
    );
    assert.match(
      warnings[2] ?? '',
      /wrong\.json: not a run record \(record\.config\.units must be a whole number >= 1, got "many"\)/,
    );
  });

  test('a missing folder has no runs; a file in its place is an error', async () => {
    assert.deepEqual(await loadRunRecords(freshDir('missing')), { runs: [], warnings: [] });
    const file = freshDir('a-file');
    writeFileSync(file, '');
    await assert.rejects(loadRunRecords(file), /is not a folder of run records/);
  });

  test('keeps clipNorm through a write and a read', async () => {
    const dir = freshDir('clip');
    const clipped = fakeRecord({ clipNorm: 2.5 }, 0.5, '2026-11-01T10:00:00Z');
    assert.equal(clipped.config.clipNorm, 2.5);
    await writeRunRecord(clipped, { runsDir: dir });
    const { runs } = await loadRunRecords(dir);
    assert.equal(runs[0]?.record.config.clipNorm, 2.5);
    assert.throws(
      () => parseRunRecord({ ...clipped, config: { ...clipped.config, clipNorm: 'yes' } }),
      /record\.config\.clipNorm must be a finite number >= 0 \(0: no clipping\), got "yes"/,
    );
    const { clipNorm: _dropped, ...withoutClip } = clipped.config;
    assert.throws(() => parseRunRecord({ ...clipped, config: withoutClip }), /record\.config\.clipNorm is missing/);
  });

  test('reads a record written by version 0.1 (a file it wrote): kind seed is basic, no clipping, forget bias 1', () => {
    const old = JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'run-record-0.1.json'), 'utf8')) as {
      format: string;
      config: Record<string, unknown>;
      result: Record<string, unknown>;
    };
    assert.equal(old.format, 'rnn-notebooks/run@1');
    assert.equal(old.config['kind'], 'seed');
    const record = parseRunRecord(old);
    assert.deepEqual(
      [
        record.config.kind,
        record.config.init,
        record.config.cell,
        record.config.units,
        record.config.seed,
        record.config.clipNorm,
        record.config.forgetBias,
      ],
      ['basic', 'tutorial', 'lstm', 4, 2, 0, 1],
    );
    assert.equal(record.result.testingAccuracy, old.result['testAccuracy128']);
    assert.equal(record.result.testAccuracy, old.result['testAccuracy']);
  });

  test('reads a 0.2 record (run@2, no init): the basic model started as the tutorial, the others as tf.layers', () => {
    for (const [kind, init] of [
      ['fused', 'keras'],
      ['layers', 'keras'],
      ['basic', 'tutorial'],
    ] as const) {
      const today = fakeRecord({ kind }, 0.5, '2026-11-01T10:00:00Z');
      const { init: _new, ...config02 } = today.config;
      const record = parseRunRecord({ ...today, format: 'rnn-notebooks/run@2', config: config02 });
      assert.equal(record.config.init, init, kind);
      assert.equal(record.format, 'rnn-notebooks/run@3');
    }
    // A record of today's format must say where its weights started.
    const today = fakeRecord({}, 0.5, '2026-11-01T10:00:00Z');
    const { init: _dropped, ...withoutInit } = today.config;
    assert.throws(() => parseRunRecord({ ...today, config: withoutInit }), /record\.config\.init is missing/);
  });

  test('parseRunRecord names the first bad field', () => {
    const good = fakeRecord({}, 0.5, '2026-11-01T10:00:00Z');
    assert.throws(() => parseRunRecord([]), /not a JSON object/);
    assert.throws(
      () => parseRunRecord({ ...good, history: [{ step: 1 }] }),
      /record\.history\[0\]\.examplesSeen is missing/,
    );
    assert.throws(
      () => parseRunRecord({ ...good, config: { ...good.config, cell: 'rnn' } }),
      /record\.config\.cell must be one of lstm, gru, simple-rnn, got "rnn"/,
    );
    assert.throws(
      () => parseRunRecord({ ...good, createdAt: 'yesterday' }),
      /record\.createdAt "yesterday" is not a date/,
    );
  });

  test('selectRuns takes full ids or unique prefixes, and names unknown or ambiguous ones', async () => {
    const dir = freshDir('select');
    mkdirSync(dir);
    const a = { ...fakeRecord({ cell: 'gru' }, 0.8, '2026-11-02T10:00:00Z'), id: '20261102-100000-gru-u8-aaaa' };
    const b = { ...fakeRecord({ cell: 'gru' }, 0.7, '2026-11-02T10:00:00Z'), id: '20261102-100000-gru-u8-bbbb' };
    await writeRunRecord(a, { runsDir: dir });
    await writeRunRecord(b, { runsDir: dir });
    const { runs } = await loadRunRecords(dir);
    assert.deepEqual(
      selectRuns(runs, [b.id, a.id]).map((r) => r.record),
      [b, a],
    );
    assert.deepEqual(
      selectRuns(runs, ['20261102-100000-gru-u8-a']).map((r) => r.record.id),
      [a.id],
    );
    assert.throws(() => selectRuns(runs, ['20261102']), /run id "20261102" is ambiguous/);
    assert.throws(() => selectRuns(runs, ['nope']), /no run "nope" \(2 recorded\)/);
  });
});
