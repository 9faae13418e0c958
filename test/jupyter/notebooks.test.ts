/**
 * Executes every notebooks/*.ipynb through the real tslab kernel under Jupyter (nbclient).
 *
 * Smoke mode (the default, what `npm test` and CI run): RNN_SMOKE=1 shrinks the long loops; each
 * notebook runs twice in one kernel (a learner re-running everything) and both passes must leave
 * the same number of tensors behind. Every notebook runs on wasm (the portable backend); the
 * notebooks that train the tutorial's model (TENSORFLOW_TOO) also on tensorflow (tfjs-node, what
 * `auto` picks where it loads, so the browser tests run every notebook on it in CI), chosen
 * through RNN_BACKEND, which the notebooks' `backend: 'auto'` honours.
 *
 * Full mode (`npm run test:full`, RNN_FULL=1): every notebook once at its real budget on the
 * backend `auto` picks, checking also the reference ranges cells declare in `rnn_expect_full`
 * (test/jupyter/notebook-report.ts), which are the numbers the prose and the answers state. It
 * takes tens of minutes; run it before a release and after any change that may move them.
 * Each run's printed output goes to test-artifacts/full/NAME.txt.
 *
 * A notebook fails on any stderr text (tslab's way of reporting compile and runtime errors, with
 * the line and column in the cell), on a cell tslab aborted unrun, and on any expectation a code
 * cell declares in its metadata (`"rnn_expect": ["regex", ...]`) that its output does not match.
 * Every notebook must declare at least one. Python is found as everywhere in the project
 * (scripts/jupyter-env.js).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findPython } from '../../scripts/jupyter-env';
import type { BackendName } from '../../src/backend';
import { backendAvailable } from '../backends';
import { cellFailures, unmetExpectations, unmetRanges, type Report } from './notebook-report';

const root = path.resolve(__dirname, '..', '..');
const notebooksDir = path.join(root, 'notebooks');
const jupyterPath = path.join(root, '.jupyter', 'share', 'jupyter');
const PROBE = "import * as tf from '@tensorflow/tfjs'; console.log(`numTensors=${tf.memory().numTensors}`);";
// `npm run test:full` (npm names the script it runs), or RNN_FULL=1 with the test runner directly.
const full = process.env['RNN_FULL'] === '1' || process.env['npm_lifecycle_event'] === 'test:full';

// The first Python with nbclient (scripts/jupyter-env.js: RNN_PYTHON, .venv, python3, /usr/bin/python3).
const found = findPython((p) => p.packages.nbclient !== null && p.packages.nbformat !== null);

const python = found.python;
const notebooks = readdirSync(notebooksDir)
  .filter((f) => f.endsWith('.ipynb'))
  .sort();

test('there are notebooks to run', () => {
  assert.ok(notebooks.length > 0, `no notebooks in ${notebooksDir}`);
});

/** The notebooks whose long training loops (04's own, 07's comparison, 09's course model, 11's sweep) run on tensorflow too. */
const TENSORFLOW_TOO = new Set([
  '04-training.ipynb',
  '07-lstm-cell.ipynb',
  '09-inside-the-network.ipynb',
  '11-experiments.ipynb',
]);
const runs: [BackendName | 'auto', string][] = full
  ? notebooks.map((n): ['auto', string] => ['auto', n])
  : [
      ...notebooks.map((n): [BackendName, string] => ['wasm', n]),
      ...notebooks.filter((n) => TENSORFLOW_TOO.has(n)).map((n): [BackendName, string] => ['tensorflow', n]),
    ];

for (const [backend, name] of runs) {
  const title = full
    ? `notebook ${name} runs top to bottom at full budget, its stated numbers in range`
    : `notebook ${name} runs top to bottom twice through tslab on ${backend}`;
  test(title, { timeout: (full ? 60 : 30) * 60_000 }, (t) => {
    if (backend !== 'auto' && !backendAvailable(t, backend)) return;
    if (!python) {
      // Under CI, or with RNN_PYTHON pointing at something unusable, that is a failure, not a skip.
      if (process.env.CI || process.env.RNN_PYTHON) assert.fail(`no Python with nbclient: ${found.error}`);
      t.skip(
        `no Python with nbclient (${found.error}): pip install -r requirements.txt into .venv (docs/setup.md) to run the notebook tests`,
      );
      return;
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'rnn-nb-'));
    try {
      const reportPath = path.join(dir, 'report.json');
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        JUPYTER_PATH: jupyterPath,
        RNN_CACHE_DIR: path.join(dir, 'cache'),
        TMPDIR: dir,
      };
      // TMPDIR: what a notebook writes to os.tmpdir() in smoke mode (run records) goes with dir.
      if (full) delete env['RNN_SMOKE'];
      else env['RNN_SMOKE'] = '1';
      // Full mode runs on the backend `auto` picks, or the one RNN_BACKEND names (e.g. to time wasm).
      if (backend !== 'auto') env['RNN_BACKEND'] = backend;
      const started = performance.now();
      const run = spawnSync(
        python,
        [
          path.join(__dirname, 'notebook_runner.py'),
          path.join(notebooksDir, name),
          reportPath,
          '--passes',
          full ? '1' : '2',
          '--probe',
          PROBE,
          '--timeout',
          full ? '3600' : '900',
        ],
        {
          env,
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      const seconds = (performance.now() - started) / 1000;
      assert.equal(run.status, 0, `nbclient failed on ${name}:\n${run.stderr.slice(-3000)}`);
      const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;

      assert.deepEqual(
        cellFailures(report),
        [],
        `${name}: cells failed (tslab reports errors as line:column in the cell)`,
      );

      const allOutput = report.cells.flatMap((c) => c.outputs).join('\n');
      if (backend !== 'auto') {
        // On tensorflow the line goes on to say how oneDNN runs and which kernels run the LSTM
        // (src/backend.ts).
        const tensorflow =
          "; oneDNN [^;]+; LSTM on (the project's kernel \\(\\w+, \\d+ threads?\\)|libtensorflow's ops \\(.+\\))";
        assert.match(
          allOutput,
          new RegExp(
            `^backend: ${backend} \\(set by RNN_BACKEND(${backend === 'tensorflow' ? tensorflow : ''})\\)$`,
            'm',
          ),
          `${name} did not run on ${backend}`,
        );
      }

      assert.ok(
        report.cells.some((c) => (c.metadata.rnn_expect ?? []).length > 0),
        `${name} declares no "rnn_expect" outputs`,
      );
      assert.deepEqual(
        report.cells.flatMap(unmetExpectations),
        [],
        `${name}: outputs that do not match what their cells declare`,
      );
      if (full) {
        // The reference run's printed output, cell by cell, for whoever sets or reviews a stated range.
        const outputDir = path.join(root, 'test-artifacts', 'full');
        mkdirSync(outputDir, { recursive: true });
        writeFileSync(
          path.join(outputDir, name.replace(/\.ipynb$/, '.txt')),
          report.cells.map((c) => `--- cell ${c.index}\n${c.outputs.join('\n')}`).join('\n'),
        );
        assert.deepEqual(
          report.cells.flatMap(unmetRanges),
          [],
          `${name}: numbers outside the ranges the notebook states`,
        );
        const line = /^backend: (\w+)/m.exec(allOutput)?.[1] ?? '?';
        t.diagnostic(
          `${name}: ${seconds.toFixed(0)} s on ${line} (kernel start included), ${report.cells.flatMap((c) => c.metadata.rnn_expect_full ?? []).length} stated ranges checked`,
        );
        return;
      }

      assert.equal(report.probes.length, 2);
      const counts = report.probes.map((p) => Number(/numTensors=(\d+)/.exec(p)?.[1] ?? NaN));
      assert.ok(counts.every(Number.isFinite), `tensor probe failed: ${report.probes.join(' | ')}`);
      assert.equal(
        counts[1],
        counts[0],
        `${name}: re-running the notebook in the same kernel left ${counts[1]} tensors after ${counts[0]}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
