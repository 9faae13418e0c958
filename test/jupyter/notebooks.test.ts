/**
 * Executes every notebooks/*.ipynb through the real tslab kernel under Jupyter (nbclient), in the
 * smoke mode RNN_SMOKE=1 that shrinks the long loops. Each notebook runs twice in one kernel (a
 * learner re-running everything): both passes must leave the same number of tensors behind.
 * A notebook fails on any stderr text (tslab's way of reporting compile and runtime errors) and
 * on any expectation it declares in a code cell's metadata, `"rnn_expect": ["regex", ...]`,
 * that the cell's output does not match. Every notebook must declare at least one.
 * Every notebook runs on wasm (the portable backend); the notebooks that train the tutorial's model
 * (TENSORFLOW_TOO) also on tensorflow (tfjs-node, what `auto` picks where it loads, so the browser
 * tests run every notebook on it in CI), chosen through RNN_BACKEND, which the notebooks'
 * `backend: 'auto'` honours.
 * Python is found as everywhere in the project (scripts/jupyter-env.js).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findPython } from '../../scripts/jupyter-env';
import type { BackendName } from '../../src/backend';
import { backendAvailable } from '../backends';

const root = path.resolve(__dirname, '..', '..');
const notebooksDir = path.join(root, 'notebooks');
const jupyterPath = path.join(root, '.jupyter', 'share', 'jupyter');
const PROBE = "import * as tf from '@tensorflow/tfjs'; console.log(`numTensors=${tf.memory().numTensors}`);";

// The first Python with nbclient (scripts/jupyter-env.js: RNN_PYTHON, .venv, python3, /usr/bin/python3).
const found = findPython((p) => p.packages.nbclient !== null && p.packages.nbformat !== null);

interface CellReport {
  readonly index: number;
  readonly source: string;
  readonly metadata: { readonly rnn_expect?: readonly string[] };
  readonly outputs: readonly string[];
  readonly stderr: readonly string[];
}
interface Report {
  readonly cells: readonly CellReport[];
  readonly probes: readonly string[];
}

const python = found.python;
const notebooks = readdirSync(notebooksDir).filter((f) => f.endsWith('.ipynb')).sort();

test('there are notebooks to run', () => {
  assert.ok(notebooks.length > 0, `no notebooks in ${notebooksDir}`);
});

/** The notebooks whose long training loops (04's own, 07's comparison, 09's course model, 11's sweep) run on tensorflow too. */
const TENSORFLOW_TOO = new Set(['04-training.ipynb', '07-lstm-cell.ipynb', '09-inside-the-network.ipynb', '11-experiments.ipynb']);
const runs: [BackendName, string][] = [...notebooks.map((n): [BackendName, string] => ['wasm', n]), ...notebooks.filter((n) => TENSORFLOW_TOO.has(n)).map((n): [BackendName, string] => ['tensorflow', n])];

for (const [backend, name] of runs) {
  test(`notebook ${name} runs top to bottom twice through tslab on ${backend}`, { timeout: 30 * 60_000 }, (t) => {
    if (!backendAvailable(t, backend)) return;
    if (!python) {
      // Under CI, or with RNN_PYTHON pointing at something unusable, that is a failure, not a skip.
      if (process.env.CI || process.env.RNN_PYTHON) assert.fail(`no Python with nbclient: ${found.error}`);
      t.skip(`no Python with nbclient (${found.error}): pip install -r requirements.txt into .venv (README "Jupyter") to run the notebook tests`);
      return;
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'rnn-nb-'));
    try {
      const reportPath = path.join(dir, 'report.json');
      const run = spawnSync(python, [path.join(__dirname, 'notebook_runner.py'), path.join(notebooksDir, name), reportPath, '--passes', '2', '--probe', PROBE], {
        // TMPDIR: what a notebook writes to os.tmpdir() in smoke mode (run records) goes with dir.
        env: { ...process.env, JUPYTER_PATH: jupyterPath, RNN_SMOKE: '1', RNN_BACKEND: backend, RNN_CACHE_DIR: path.join(dir, 'cache'), TMPDIR: dir },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      assert.equal(run.status, 0, `nbclient failed on ${name}:\n${run.stderr.slice(-3000)}`);
      const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;

      const errors = report.cells.filter((c) => c.stderr.join('').trim() !== '');
      assert.deepEqual(
        errors.map((c) => `cell ${c.index}: ${c.stderr.join('').trim().slice(0, 1500)}`),
        [],
        `${name} wrote to stderr`,
      );

      const allOutput = report.cells.flatMap((c) => c.outputs).join('\n');
      // On tensorflow the line goes on to say how oneDNN runs (src/backend.ts).
      assert.match(allOutput, new RegExp(`^backend: ${backend} \\(set by RNN_BACKEND(; oneDNN [^)]+)?\\)$`, 'm'), `${name} did not run on ${backend}`);

      const expectations = report.cells.flatMap((c) => (c.metadata.rnn_expect ?? []).map((re) => ({ cell: c, re })));
      assert.ok(expectations.length > 0, `${name} declares no "rnn_expect" outputs`);
      for (const { cell, re } of expectations) {
        const text = cell.outputs.join('\n'); // outputs apart, so ^ and $ see each one's lines
        assert.match(text, new RegExp(re, 'm'), `${name} cell ${cell.index} output does not match /${re}/; it was:\n${text.slice(0, 1500)}`);
      }

      assert.equal(report.probes.length, 2);
      const counts = report.probes.map((p) => Number(/numTensors=(\d+)/.exec(p)?.[1] ?? NaN));
      assert.ok(counts.every(Number.isFinite), `tensor probe failed: ${report.probes.join(' | ')}`);
      assert.equal(counts[1], counts[0], `${name}: re-running the notebook in the same kernel left ${counts[1]} tensors after ${counts[0]}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
