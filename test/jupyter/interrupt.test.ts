/**
 * Stop means stop, in a real tslab kernel under Jupyter (jupyter_client): a training cell is
 * interrupted as Jupyter's stop button does it (a SIGINT to the kernel) once it has logged a few
 * lines, on tensorflow 20 times in a row (the kernel must survive every one: oneDNN runs at full
 * speed there, with signals kept off its threads by src/signal-guard.ts). Each cell must end
 * within 2 s; no training output may arrive afterwards; a following
 * 1-second cell must take about 1 second; the tensors and SIGINT listeners must be back to what
 * they were before training; and training can go on from the model as it was left. On wasm and
 * on tensorflow (where tfjs-node loads; required under CI).
 *
 * In-process tests of the same machinery (AbortSignal, SIGINT, the weights kept, downloads) are
 * in train.test.ts and data/download.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { findPython } from '../../scripts/jupyter-env';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BackendName } from '../../src/backend';
import { backendAvailable } from '../backends';

const root = path.resolve(__dirname, '..', '..');
const jupyterPath = path.join(root, '.jupyter', 'share', 'jupyter');

interface Cell {
  readonly outputs: readonly string[];
  readonly stderr: readonly string[];
  readonly seconds: number;
  readonly status: string;
  readonly endedAfterInterruptSeconds?: number;
}
interface Report {
  readonly setup: readonly Cell[];
  readonly interruptions: readonly {
    readonly cell: Cell;
    readonly quiet: readonly { type: string; content: { text?: string } }[];
  }[];
  readonly after: readonly Cell[];
}

const number = (cell: Cell | undefined, name: string): number =>
  Number(new RegExp(`${name}=(\\d+)`).exec(cell?.outputs.join('') ?? '')?.[1] ?? NaN);

const found = findPython((p) => p.packages.jupyter_client !== null);
const python = found.python;

for (const backend of ['wasm', 'tensorflow'] as const satisfies readonly BackendName[]) {
  test(`interrupting a training cell in tslab stops it (${backend})`, { timeout: 10 * 60_000 }, (t) => {
    if (!backendAvailable(t, backend)) return;
    if (!python) {
      if (process.env.CI || process.env.RNN_PYTHON) assert.fail(`no Python with jupyter_client: ${found.error}`);
      t.skip(
        `no Python with jupyter_client (${found.error}): pip install -r requirements.txt into .venv (docs/setup.md)`,
      );
      return;
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'rnn-interrupt-'));
    try {
      // After an await: while a cell's synchronous part runs, Node's vm (breakOnSigint) takes every
      // SIGINT listener away and puts them back afterwards, so a synchronous count would read 0.
      const probe =
        "await new Promise((r) => setImmediate(r));\nconsole.log(`numTensors=${tf.memory().numTensors} sigint=${process.listenerCount('SIGINT')}`);";
      const spec = {
        cwd: path.join(root, 'notebooks'),
        setup: [
          "import * as tf from '@tensorflow/tfjs';\nimport * as rnn from '../dist';",
          `await rnn.setupBackend({ backend: '${backend}' });\nconst data = await rnn.loadMnist({ source: 'bundled', seed: 0 });\nconst model = rnn.buildClassifier({ seed: 0 });\n${probe}`,
        ],
        // 781 steps: minutes on either backend, far longer than the test waits.
        train: 'await rnn.trainTutorial(model, data, { displayStep: 1, onLog: console.log });',
        afterLines: 3,
        repeat: backend === 'tensorflow' ? 20 : 1,
        quietSeconds: 3,
        after: [
          'const t0 = Date.now();\nawait new Promise((r) => setTimeout(r, 1000));\nconsole.log(`waited=${Date.now() - t0}`);',
          probe,
          `const more = await rnn.trainTutorial(model, data, { trainingIters: 128 * 4, displayStep: 1, onLog: console.log });\nconsole.log(\`steps=\${more.steps}\`);\n${probe}`,
        ],
      };
      const specPath = path.join(dir, 'spec.json');
      const reportPath = path.join(dir, 'report.json');
      writeFileSync(specPath, JSON.stringify(spec));
      const run = spawnSync(python, [path.join(__dirname, 'kernel_interrupt.py'), specPath, reportPath], {
        env: { ...process.env, JUPYTER_PATH: jupyterPath, TMPDIR: dir },
        encoding: 'utf8',
        timeout: 9 * 60_000,
      });
      assert.equal(run.status, 0, `kernel_interrupt.py failed:\n${run.stderr.slice(-3000)}`);
      const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
      for (const cell of report.setup) assert.deepEqual(cell.stderr, [], 'set-up cells ran cleanly');
      const before = report.setup[1];

      const latencies: number[] = [];
      for (const [k, { cell: cut, quiet }] of report.interruptions.entries()) {
        const which = `interruption ${k + 1} of ${report.interruptions.length}`;
        const logged = cut.outputs
          .join('')
          .split('\n')
          .filter((l) => l.startsWith('Iter '));
        assert.ok(logged.length >= 3, `${which}: training logged before the interrupt: ${logged.length} lines`);
        assert.ok(logged.length < 781, `${which}: training did not run to the end`);
        assert.equal(cut.status, 'error', `${which}: tslab ends the cell as interrupted`);
        assert.match(cut.stderr.join(''), /Interrupted/, which);
        const latency = cut.endedAfterInterruptSeconds ?? Infinity;
        assert.ok(latency < 2, `${which}: the cell ended ${latency.toFixed(2)} s after the interrupt`);
        latencies.push(latency);
        const late = quiet.map((m) => m.content.text ?? JSON.stringify(m.content)).join('');
        assert.equal(late, '', `${which}: nothing may arrive after the interrupt, got: ${late.slice(0, 500)}`);
      }
      const sorted = [...latencies].sort((a, b) => a - b);
      t.diagnostic(
        `${backend}: ${latencies.length} interrupted cells; each ended ${sorted[Math.floor(sorted.length / 2)]?.toFixed(3)} s (median), ${sorted.at(-1)?.toFixed(3)} s (max) after the interrupt`,
      );

      const [wait, probeAfter, resumed] = report.after;
      const waited = number(wait, 'waited');
      assert.ok(waited >= 990 && waited < 1500, `a 1-second cell took ${waited} ms (training would slow it)`);
      assert.doesNotMatch(wait?.outputs.join('') ?? '', /Iter /, 'no training output in the next cell');
      assert.deepEqual(wait?.stderr, []);
      assert.equal(
        number(probeAfter, 'numTensors'),
        number(before, 'numTensors'),
        'tensors back to their count before training',
      );
      assert.equal(number(probeAfter, 'sigint'), number(before, 'sigint'), 'no SIGINT listener left behind');

      assert.deepEqual(resumed?.stderr, [], 'training goes on from the model as it was left');
      assert.equal(number(resumed, 'steps'), 3);
      assert.match(resumed?.outputs.join('') ?? '', /^Testing Accuracy: \d\.\d{6}$/m);
      assert.equal(number(resumed, 'numTensors'), number(before, 'numTensors'));
      assert.equal(number(resumed, 'sigint'), number(before, 'sigint'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
