/**
 * The charts in a real browser, classic Notebook 6 (Debian's jupyter-notebook): notebooks 02 and 04
 * and the plot fixture in test/fixtures/ (every figure kind), copied to a scratch folder, run with
 * the tslab kernel and RNN_SMOKE=1 in Chromium (playwright-core, Debian's binary, no browser
 * download), and the page is checked as in browser-shared.ts (tags "chart", "live-chart",
 * "progress"; every chart drawn by this project's HTML, no stderr, plotly.js sent once).
 * Then 04 is saved from the page and reopened (trusted: its charts draw again), and opened once more
 * after a change made outside Jupyter (untrusted: each chart box shows the "Chart not drawn" note).
 * A screenshot of each notebook goes to test-artifacts/browser/classic/. The classic Notebook is
 * looked for in every Python scripts/jupyter-env.js knows (whatever RNN_PYTHON says: this test is
 * about Debian's Notebook 6). Under CI a missing Chromium or Notebook 6 fails the test; elsewhere
 * it is skipped, saying why. JupyterLab 4 and Notebook 7: browser-lab.test.ts, browser-nb7.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { findPython, PYTHON_ENV_VAR } from '../../scripts/jupyter-env';
import {
  ARTIFACTS,
  artifactName,
  changedOutsideJupyter,
  CHART_STATES_FN,
  chromiumProblem,
  DRAW_TIMEOUT_MS,
  launchChromium,
  listNotebooks,
  RICH,
  liveNotes,
  makeWorkspace,
  NOTEBOOK_TIMEOUT_MS,
  openPage,
  problems,
  recordTimings,
  ROOT,
  seen,
  startJupyter,
  unavailable,
  viewProblems,
  waitForSavedOutputs,
  type CellState,
  type Jupyter,
  type Timing,
  type Workspace,
} from './browser-shared';

/** Saved from the page and reopened, then opened again after a change made outside Jupyter (untrusted). */
const REOPEN = 'notebooks/04-training.ipynb';
const CHANGED = 'notebooks/04-training-changed-outside-jupyter.ipynb';

const found = findPython((p) => p.packages.notebook !== null && Number(p.packages.notebook.split('.')[0]) < 7, {
  ...process.env,
  [PYTHON_ENV_VAR]: undefined,
});

const CELL_STATES_JS = `(function () {
  ${CHART_STATES_FN}
  return Jupyter.notebook.get_cells().map(function (c, index) {
    var el = c.element[0];
    var areas = Array.prototype.slice.call(el.querySelectorAll('.output_area'));
    return {
      index: index,
      type: c.cell_type,
      tags: (c.metadata && c.metadata.tags) || [],
      source: c.get_text(),
      prompt: c.cell_type === 'code' ? (c.input_prompt_number === undefined ? null : c.input_prompt_number) : null,
      outputs: areas.length,
      charts: chartStates(areas),
      progress: Array.prototype.slice.call(el.querySelectorAll('.rnn-progress')).map(function (e) { return (e.textContent || '').trim(); }),
      loaders: el.querySelectorAll('.rnn-plotly-loader').length,
      stderr: Array.prototype.slice.call(el.querySelectorAll('.output_stderr, .output_error')).map(function (e) { return e.textContent; }).join('\\n').slice(-2000)
    };
  });
})()`;

// Drawing is over when every chart box holds an SVG or visible text (a failure message). Cells
// that did not run or hold no chart box are settled too (all outputs are in once the kernel is
// idle): the checks report them without waiting for a timeout.
const CHARTS_SETTLED_JS = `Array.prototype.slice.call(document.querySelectorAll('.rnn-plot')).every(function (p) {
  return p.querySelector('.main-svg') !== null || (p.textContent || '').trim() !== '';
})`;

/** Unscrolls classic Notebook's #site so that a full-page shot holds the whole notebook. */
async function fullScreenshot(page: Page, shot: string): Promise<void> {
  await page
    .addStyleTag({ content: 'html, body, #site { height: auto !important; overflow: visible !important; }' })
    .then(() => page.screenshot({ path: shot, fullPage: true, timeout: 60_000 }))
    .catch(() => undefined);
}

/** Opens a notebook that holds outputs, runs nothing, and reads what the page shows. */
async function viewNotebook(
  browser: Browser,
  jupyter: Jupyter,
  rel: string,
  label: string,
): Promise<{ cells: CellState[]; shot: string }> {
  const { context, page } = await openPage(browser);
  const shot = join(ARTIFACTS, 'classic', `${artifactName(rel)}-${label}.png`);
  try {
    await page.goto(
      `${jupyter.base}/notebooks/${rel.split('/').map(encodeURIComponent).join('/')}?token=${jupyter.token}`,
      { waitUntil: 'load', timeout: 60_000 },
    );
    await page.waitForFunction('window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded', null, {
      timeout: 120_000,
      polling: 250,
    });
    await page
      .waitForFunction(CHARTS_SETTLED_JS, null, { timeout: DRAW_TIMEOUT_MS, polling: 250 })
      .catch(() => undefined);
    return { cells: (await page.evaluate(CELL_STATES_JS)) as CellState[], shot };
  } finally {
    await fullScreenshot(page, shot);
    await context.close();
  }
}

async function checkNotebook(
  browser: Browser,
  jupyter: Jupyter,
  ws: Workspace,
  rel: string,
  note: (message: string) => void,
  save: boolean,
): Promise<Timing> {
  const { context, page, pageErrors } = await openPage(browser);
  mkdirSync(join(ARTIFACTS, 'classic'), { recursive: true });
  const shot = join(ARTIFACTS, 'classic', `${artifactName(rel)}.png`);
  let cells: CellState[] = [];
  const opened = Date.now();
  let runSeconds = NaN;
  try {
    const url = `${jupyter.base}/notebooks/${rel.split('/').map(encodeURIComponent).join('/')}?token=${jupyter.token}`;
    await jupyter.startSession(rel);
    await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
    await page
      .waitForFunction(
        'window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected() && Object.keys(Jupyter.notebook.kernel.info_reply || {}).length > 0',
        null,
        { timeout: 120_000, polling: 250 },
      )
      .catch(() => {
        throw new Error(`${rel}: the tslab kernel did not start within 120 s; server output:\n${jupyter.log()}`);
      });
    const started = Date.now();
    await page.evaluate(
      'Jupyter.notebook.set_autosave_interval(0); Jupyter.notebook.clear_all_output(); Jupyter.notebook.execute_all_cells()',
    );
    await page
      .waitForFunction(
        `!Jupyter.notebook.kernel_busy && Jupyter.notebook.get_cells().every(function (c) { return c.cell_type !== 'code' || c.input_prompt_number !== '*'; })`,
        null,
        { timeout: NOTEBOOK_TIMEOUT_MS, polling: 500 },
      )
      .catch(() => {
        throw new Error(
          `${rel}: cells still running after ${NOTEBOOK_TIMEOUT_MS / 1000} s (RNN_BROWSER_TIMEOUT_MS raises the limit)`,
        );
      });
    runSeconds = (Date.now() - started) / 1000;
    // A failed draw is reported below with the cell, so a timeout here is not itself the error.
    await page
      .waitForFunction(CHARTS_SETTLED_JS, null, { timeout: DRAW_TIMEOUT_MS, polling: 250 })
      .catch(() => undefined);
    cells = (await page.evaluate(CELL_STATES_JS)) as CellState[];
    if (save) {
      const file = join(ws.dir, rel);
      const before = readFileSync(file, 'utf8');
      await page.evaluate('Jupyter.notebook.save_notebook()');
      await waitForSavedOutputs(file, before);
    }
  } finally {
    await fullScreenshot(page, shot);
    await context.close();
  }
  note(
    `classic Notebook, ${rel}: all cells ran in ${runSeconds.toFixed(1)} s (${((Date.now() - opened) / 1000).toFixed(1)} s from opening the page)`,
  );
  for (const line of liveNotes(cells)) note(line);
  const wrong = problems(cells, pageErrors, { renderer: 'html' });
  assert.equal(wrong.length, 0, `${rel} (screenshot ${relative(ROOT, shot)}):\n  ${wrong.join('\n  ')}`);
  return { frontEnd: 'classic Notebook 6', notebook: rel, runSeconds, totalSeconds: (Date.now() - opened) / 1000 };
}

test('notebooks draw their charts in Chromium (classic Jupyter Notebook, tslab kernel)', {
  timeout: 4 * 60 * 60_000,
}, async (t) => {
  const missing =
    chromiumProblem() ??
    (found.python === undefined
      ? `classic Notebook 6 not found (${found.error}; Debian: apt-get install jupyter-notebook); the browser test did not run`
      : undefined);
  if (missing !== undefined) return unavailable(t, missing);
  assert.ok(
    existsSync(join(ROOT, 'dist', 'plot', 'index.js')),
    'dist/plot/index.js is missing: run `npm run build` first (the notebooks import ../dist)',
  );
  t.diagnostic(`classic Notebook ${found.probe?.packages.notebook} from ${found.python}`);
  // 02 and 04 (charts, the live chart, progress) and the plot fixture (every figure kind): every
  // notebook runs in plain JupyterLab (browser-lab.test.ts), where learners work.
  const notebooks = [...RICH, ...listNotebooks().filter((rel) => rel.startsWith('test/fixtures/'))];
  const ws = makeWorkspace();
  for (const rel of notebooks) ws.copy(rel);
  const jupyter = await startJupyter({
    python: found.python!,
    module: 'notebook',
    rootDir: ws.dir,
    args: ['--NotebookApp.token={token}', '--notebook-dir={root}'],
    name: 'classic Notebook',
  });
  const timings: Timing[] = [];
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const open = browser;
    for (const rel of notebooks) {
      await t.test(rel, { timeout: NOTEBOOK_TIMEOUT_MS + 5 * 60_000 }, async (sub) => {
        try {
          timings.push(
            await checkNotebook(open, jupyter, ws, rel, (message) => sub.diagnostic(message), rel === REOPEN),
          );
        } finally {
          await jupyter.shutdownKernels();
        }
      });
    }
    await t.test(`${REOPEN} saved, reopened, then changed outside Jupyter and opened`, async (sub) => {
      try {
        const v = await viewNotebook(open, jupyter, REOPEN, 'reopened');
        sub.diagnostic(`reopened after saving (signed on save, so trusted): ${seen(v.cells)}`);
        let wrong = viewProblems(v.cells, { charts: 'html', liveCharts: 'html' });
        assert.equal(
          wrong.length,
          0,
          `${REOPEN} reopened (screenshot ${relative(ROOT, v.shot)}):\n  ${wrong.join('\n  ')}`,
        );
        await jupyter.shutdownKernels();
        changedOutsideJupyter(join(ws.dir, REOPEN), join(ws.dir, CHANGED));
        const u = await viewNotebook(open, jupyter, CHANGED, 'untrusted');
        sub.diagnostic(`opened untrusted: ${seen(u.cells)}`);
        wrong = viewProblems(u.cells, { charts: 'note', liveCharts: 'note' });
        assert.equal(
          wrong.length,
          0,
          `${CHANGED} untrusted (screenshot ${relative(ROOT, u.shot)}):\n  ${wrong.join('\n  ')}`,
        );
      } finally {
        await jupyter.shutdownKernels();
      }
    });
  } finally {
    await browser?.close();
    await jupyter.stop();
    ws.remove();
    recordTimings(timings);
  }
});
