/**
 * A notebook that sends many messages keeps its kernel (src/kernel-sends.ts), in a real tslab
 * kernel under nbclient: three cells each draw 600 display outputs in one go, more than the 512
 * sends zeromq completes in a row. With the helper module imported every output arrives, in
 * order, and the kernel answers the next cell. Without it the same cells end in an error with
 * outputs missing (zeromq's EBUSY, which tslab cannot even report): that half shows the test can fail, and tells a maintainer when a tslab or zeromq upgrade has made
 * the workaround unnecessary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findPython } from '../../scripts/jupyter-env';

const root = path.resolve(__dirname, '..', '..');
const jupyterPath = path.join(root, '.jupyter', 'share', 'jupyter');
const found = findPython((p) => p.packages.nbclient !== null && p.packages.nbformat !== null);
const OUTPUTS = 600;

interface Cell {
  readonly outputs: readonly string[];
  readonly stderr: readonly string[];
  readonly status: string | null;
}

/** Runs the cells in one fresh tslab kernel; the runner's report, cell by cell. */
function runCells(sources: readonly string[]): Cell[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'rnn-sends-'));
  try {
    const notebook = path.join(dir, 'sends.ipynb');
    const cells = sources.map((source, k) => ({
      id: `cell-${k}`,
      cell_type: 'code',
      execution_count: null,
      metadata: {},
      outputs: [],
      source,
    }));
    const metadata = { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } };
    writeFileSync(notebook, JSON.stringify({ cells, metadata, nbformat: 4, nbformat_minor: 5 }));
    const report = path.join(dir, 'report.json');
    const run = spawnSync(
      found.python ?? 'python3',
      [path.join(__dirname, 'notebook_runner.py'), notebook, report, '--timeout', '300'],
      { env: { ...process.env, JUPYTER_PATH: jupyterPath, TMPDIR: dir }, encoding: 'utf8' },
    );
    assert.equal(run.status, 0, `nbclient failed:\n${run.stderr.slice(-3000)}`);
    return (JSON.parse(readFileSync(report, 'utf8')) as { cells: Cell[] }).cells;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const drawing = [0, 1, 2].map(
  (k) => `const tslab${k} = require('tslab');\nfor (let i = 0; i < ${OUTPUTS}; i++) tslab${k}.display.text(String(i));`,
);
const expected = Array.from({ length: OUTPUTS }, (_, i) => String(i));

test(`a cell drawing ${OUTPUTS} outputs keeps the kernel, with the helper module imported`, {
  timeout: 300_000,
}, (t) => {
  if (found.python === undefined) {
    if (process.env.CI || process.env.RNN_PYTHON) assert.fail(`no Python with nbclient: ${found.error}`);
    t.skip(`no Python with nbclient (${found.error}): pip install -r requirements.txt into .venv`);
    return;
  }
  const dist = JSON.stringify(path.join(root, 'dist'));
  const cells = runCells([
    `import * as rnn from ${dist};\nconsole.log(typeof rnn.queueKernelSends);`,
    ...drawing,
    "console.log('alive');",
  ]);
  assert.deepEqual(cells[0]?.outputs, ['function\n']);
  for (const cell of cells.slice(1, 4)) {
    assert.deepEqual(cell.stderr, []);
    assert.equal(cell.status, 'ok');
    assert.deepEqual(cell.outputs, expected, 'every output, in order');
  }
  assert.deepEqual(cells[4]?.outputs, ['alive\n']);
});

test(`without it, tslab's unqueued sends fail on the same cells (the workaround is still needed)`, {
  timeout: 300_000,
}, (t) => {
  if (found.python === undefined) {
    t.skip(`no Python with nbclient (${found.error})`);
    return;
  }
  const cells = runCells([...drawing, "console.log('alive');"]);
  // The refused send is the one that would carry the error, so the cell ends in an error with
  // outputs missing and no message.
  const failed = cells.slice(0, 3).filter((c) => c.status === 'error' && c.outputs.length < OUTPUTS);
  assert.ok(
    failed.length > 0,
    'tslab and zeromq no longer refuse a send while one is in flight: src/kernel-sends.ts may be unnecessary now',
  );
});
