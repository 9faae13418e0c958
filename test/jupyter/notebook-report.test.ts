/**
 * The notebook runner's report read the way the notebook tests read it (notebook-report.ts): a
 * cell's error shown with its line, a cell tslab aborted named as such, and the ranges the prose
 * states kept in step with the ranges the full mode checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findPython } from '../../scripts/jupyter-env';
import {
  cellFailures,
  statedRangeProblems,
  unmetRanges,
  type CellReport,
  type FullExpectation,
  type Report,
  type StoredCell,
} from './notebook-report';

const root = path.resolve(__dirname, '..', '..');
const md = (source: string): StoredCell => ({ cell_type: 'markdown', source });
const code = (rnn_expect_full: readonly FullExpectation[]): StoredCell => ({
  cell_type: 'code',
  source: '',
  metadata: { rnn_expect_full },
});

test('a stated range must stand in the prose above its cell, back to the heading, and name both bounds', () => {
  const range = { re: 'accuracy ([\\d.]+)%', min: 38, max: 52, stated: '38-52%' };
  assert.deepEqual(
    statedRangeProblems([md('## Exercises'), md('**Answer.** Test accuracy 38-52% (seeds 0-2).'), code([range])]),
    [],
  );
  assert.deepEqual(
    statedRangeProblems([md('## Exercises\n\nTest accuracy 38-52%.'), code([range])]),
    [],
    'in the heading cell itself',
  );
  assert.match(
    statedRangeProblems([md('Test accuracy 38-52%.'), md('## Exercises'), code([range])]).join(),
    /is not written in the markdown above it/,
    'not past a heading',
  );
  assert.match(statedRangeProblems([md('## A\n\nTest accuracy 38-55%.'), code([range])]).join(), /is not written/);
  assert.match(
    statedRangeProblems([md('## A\n\n38-50%'), code([{ ...range, stated: '38-50%' }])]).join(),
    /does not name 52/,
  );
  assert.match(
    statedRangeProblems([md('## A\n\n52-38'), code([{ ...range, min: 52, max: 38, stated: '52-38' }])]).join(),
    /min 52 is above max 38/,
  );
});

test('a full-mode range reads the first capture of its regex and names the stated range when it misses', () => {
  const cell = (outputs: string[]): CellReport => ({
    index: 4,
    source: '',
    outputs,
    stderr: [],
    metadata: { rnn_expect_full: [{ re: '^test accuracy ([\\d.]+)%$', min: 38, max: 52, stated: '38-52%' }] },
  });
  assert.deepEqual(unmetRanges(cell(['loss 1.5\ntest accuracy 43.7%\n'])), []);
  assert.deepEqual(unmetRanges(cell(['test accuracy 38%'])), [], 'bounds included');
  assert.deepEqual(unmetRanges(cell(['test accuracy 55.1%'])), [
    'cell 4: 55.1 is outside the range the notebook states, 38-52% (/^test accuracy ([\\d.]+)%$/)',
  ]);
  assert.match(unmetRanges(cell(['nothing here'])).join(), /^cell 4: no number for/);
});

test("every notebook's stated ranges stand in its prose", () => {
  const dir = path.join(root, 'notebooks');
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.ipynb'))) {
    const cells = (JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as { cells: StoredCell[] }).cells;
    assert.deepEqual(statedRangeProblems(cells), [], name);
  }
});

const found = findPython((p) => p.packages.nbclient !== null && p.packages.nbformat !== null);

test("a cell tslab's compiler rejects is shown with its line; the cell sent right after it is named as aborted, not passed as empty", {
  timeout: 120_000,
}, (t) => {
  if (!found.python) {
    if (process.env.CI || process.env.RNN_PYTHON) assert.fail(`no Python with nbclient: ${found.error}`);
    t.skip(`no Python with nbclient (${found.error})`);
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'rnn-nb-errors-'));
  try {
    const reportPath = path.join(dir, 'report.json');
    const run = spawnSync(
      found.python,
      [
        path.join(__dirname, 'notebook_runner.py'),
        path.join(root, 'test', 'fixtures', 'failing', 'tslab-errors.ipynb'),
        reportPath,
      ],
      {
        env: { ...process.env, JUPYTER_PATH: path.join(root, '.jupyter', 'share', 'jupyter') },
        encoding: 'utf8',
      },
    );
    assert.equal(run.status, 0, run.stderr.slice(-2000));
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
    const failures = cellFailures(report);
    assert.equal(failures.length, 2, failures.join('\n'));
    // tslab's TypeScript 5.0 with lib es2022 does not know ES2023's toSorted, whatever Node runs the kernel.
    assert.match(failures[0] ?? '', /^cell 1: 2:\d+ - Property 'toSorted' does not exist on type 'number\[\]'/);
    assert.match(
      failures[1] ?? '',
      /^cell 2: not run: tslab aborted it after the error in cell 1 \(it drops every request that arrives within 200 ms of an error\)/,
    );
    assert.deepEqual(
      report.cells.map((c) => c.status),
      ['error', 'abort'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
