/**
 * The notebooks in JupyterLab 4, in Chromium (playwright-core, Debian's binary), as learners use
 * them: for each notebook, open it, Run > Run All Cells, wait until every code cell has run, then
 * check the page (tags and checks: browser-shared.ts). Smoke mode (RNN_SMOKE=1), the tslab kernel
 * from this project, JupyterLab from the Python scripts/jupyter-env.js finds (.venv from
 * requirements.txt in CI). One server per configuration, reused for all its notebooks:
 *  - plain JupyterLab: every notebook, the charts drawn by this project's HTML and script. The
 *    jupyterlab-plotly extension that requirements.txt installs (with plotly) is disabled for
 *    this server only, through a page_config.json in its scratch config folder: cheaper than a
 *    second environment, and the same JupyterLab that conda users without plotly get;
 *  - JupyterLab with jupyterlab-plotly: the notebooks with charts and live output (RICH), the
 *    static charts drawn by the extension from their plotly JSON, live charts by the HTML; 04
 *    saved and reopened there too (the extension shows the PNG it saved until hovered);
 *  - reopened (REOPEN): saved from the page and reopened, the notebook is trusted and its charts
 *    draw again from the saved outputs; changed outside Jupyter (which voids its signature, as a
 *    notebook executed or saved elsewhere has none) and opened, it is not trusted: plain JupyterLab shows each chart's "Chart not drawn" note with what to do, and
 *    trusting it from the command palette draws them; JupyterLab with jupyterlab-plotly draws the
 *    static charts anyway (the extension's renderer is safe for untrusted output) and shows the
 *    note for the live chart (live charts carry no plotly JSON: src/plot/live.ts).
 * Screenshots go to test-artifacts/browser/jupyterlab*, times per notebook to timings.json.
 * Under CI a missing Chromium or JupyterLab fails the test; elsewhere it is skipped, saying why.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test, type TestContext } from 'node:test';
import { findPython } from '../../scripts/jupyter-env';
import {
  changedOutsideJupyter,
  chromiumProblem,
  declaredCharts,
  launchChromium,
  listNotebooks,
  liveNotes,
  makeWorkspace,
  problems,
  recordTimings,
  RICH,
  ROOT,
  seen,
  startJupyter,
  unavailable,
  viewProblems,
  type Renderer,
  type Timing,
  type Workspace,
} from './browser-shared';
import {
  luminoSession,
  LUMINO_ARGS,
  LUMINO_EXPECTED_PAGE_ERRORS,
  LUMINO_SETTINGS,
  runNotebook,
  viewNotebook,
  type LuminoFrontEnd,
  type LuminoSession,
} from './browser-lumino';

/** Saved with outputs and reopened: it has charts, a live chart and a progress bar. */
const REOPEN = 'notebooks/04-training.ipynb';
const CHANGED = 'notebooks/04-training-changed-outside-jupyter.ipynb';

const LAB_ARGS = [
  ...LUMINO_ARGS,
  '--LabApp.news_url=None',
  '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
  '--LabApp.extension_manager=readonly',
];
/**
 * jupyterlab-plotly's renderer plugin id, what `jupyter labextension disable @jupyterlab/plotly-extension`
 * writes. Disabling the package name (jupyterlab-plotly) leaves the renderer active.
 */
const PLOTLY_PLUGIN = '@jupyterlab/plotly-extension';

const lab = (id: string, name: string): LuminoFrontEnd => ({ id, name, openIn: 'app' });
const PLAIN = lab('jupyterlab', 'JupyterLab 4 (plain)');
const WITH_PLOTLY = lab('jupyterlab-plotly', 'JupyterLab 4 with jupyterlab-plotly');

const found = findPython((p) => p.packages.jupyterlab !== null);

function fail(rel: string, shot: string, found: readonly string[]): void {
  assert.equal(found.length, 0, `${rel} (screenshot ${relative(ROOT, shot)}):\n  ${found.join('\n  ')}`);
}

/** Runs each notebook in one server, checks it, returns the timings. */
async function runAll(
  t: TestContext,
  lab: LuminoSession,
  ws: Workspace,
  notebooks: readonly string[],
  renderer: Renderer,
  save: readonly string[] = [],
): Promise<Timing[]> {
  const { fe, jupyter } = lab;
  const timings: Timing[] = [];
  for (const rel of notebooks) {
    await t.test(`${fe.name}: ${rel}`, async (sub) => {
      try {
        const r = await runNotebook(lab, ws, rel, { save: save.includes(rel) });
        timings.push({ frontEnd: fe.name, notebook: rel, runSeconds: r.runSeconds, totalSeconds: r.totalSeconds });
        sub.diagnostic(
          `${fe.name}, ${rel}: all cells ran in ${r.runSeconds.toFixed(1)} s (${r.totalSeconds.toFixed(1)} s from opening it)`,
        );
        for (const line of liveNotes(r.cells)) sub.diagnostic(line);
        fail(
          rel,
          r.shot,
          problems(r.cells, r.pageErrors, { renderer, expectedPageErrors: LUMINO_EXPECTED_PAGE_ERRORS }),
        );
      } finally {
        await jupyter.shutdownKernels();
      }
    });
  }
  return timings;
}

/** The notebook saved by `runAll`, reopened in the same front-end: it draws again from the saved outputs. */
async function reopened(
  t: TestContext,
  session: LuminoSession,
  ws: Workspace,
  trust: string,
  want: Parameters<typeof viewProblems>[1],
): Promise<void> {
  await t.test(`${session.fe.name}: ${REOPEN} saved with outputs and reopened`, async (sub) => {
    try {
      const v = await viewNotebook(session, ws, REOPEN, 'reopened');
      sub.diagnostic(`reopened after File > Save (${trust}): ${seen(v.cells)}`);
      fail(REOPEN, v.shot, viewProblems(v.cells, want));
    } finally {
      await session.jupyter.shutdownKernels();
    }
  });
}

const lab4Files = (plotly: boolean): Record<string, unknown> => ({
  ...LUMINO_SETTINGS,
  ...(plotly ? {} : { 'config/labconfig/page_config.json': { disabledExtensions: { [PLOTLY_PLUGIN]: true } } }),
});

test('notebooks in JupyterLab 4 in Chromium: run from the menu, charts, live output, reopened', {
  timeout: 4 * 60 * 60_000,
}, async (t) => {
  const missing =
    chromiumProblem() ??
    (found.python === undefined
      ? `JupyterLab not found (${found.error}): python3 -m venv .venv && .venv/bin/pip install -r requirements.txt; the JupyterLab test did not run`
      : undefined);
  if (missing !== undefined) return unavailable(t, missing);
  const python = found.python!;
  assert.ok(
    found.probe?.packages.plotly,
    `${python} has no plotly (jupyterlab-plotly): pip install -r requirements.txt`,
  );
  assert.ok(
    existsSync(join(ROOT, 'dist', 'plot', 'index.js')),
    'dist/plot/index.js is missing: run `npm run build` first (the notebooks import ../dist)',
  );
  for (const rel of [...RICH, REOPEN])
    assert.ok(
      existsSync(join(ROOT, rel)),
      `${rel} is missing: update RICH (browser-shared.ts) or REOPEN (${relative(ROOT, __filename)})`,
    );
  t.diagnostic(
    `JupyterLab ${found.probe?.packages.jupyterlab} and plotly ${found.probe?.packages.plotly} from ${python}`,
  );

  const notebooks = listNotebooks();
  const browser = await launchChromium();
  const timings: Timing[] = [];
  const ws = makeWorkspace();
  const wsPlotly = makeWorkspace();
  try {
    // Plain JupyterLab: every notebook; the reopened notebook is saved from the page.
    for (const rel of notebooks) ws.copy(rel);
    const jupyter = await startJupyter({
      python,
      module: 'jupyterlab',
      rootDir: ws.dir,
      args: LAB_ARGS,
      files: lab4Files(false),
      name: 'JupyterLab (plain)',
    });
    const plain = luminoSession(browser, jupyter, PLAIN);
    try {
      timings.push(...(await runAll(t, plain, ws, notebooks, 'html', [REOPEN])));
      await reopened(t, plain, ws, 'signed on save, so trusted', { charts: 'html', liveCharts: 'html' });
      await t.test(
        `${PLAIN.name}: ${REOPEN} changed outside Jupyter (untrusted), opened, then trusted`,
        async (sub) => {
          try {
            changedOutsideJupyter(join(ws.dir, REOPEN), join(ws.dir, CHANGED));
            const v = await viewNotebook(plain, ws, CHANGED, 'untrusted', { trust: true });
            sub.diagnostic(
              `opened untrusted: ${seen(v.cells)}; a box says "${declaredCharts(v.cells, { charts: 'note', liveCharts: 'note' })[0]?.text.slice(0, 400) ?? ''}"`,
            );
            fail(CHANGED, v.shot, viewProblems(v.cells, { charts: 'note', liveCharts: 'note' }));
            assert.ok(v.trusted, 'the page was not trusted');
            sub.diagnostic(`after command palette > Trust Notebook: ${seen(v.trusted.cells)}`);
            fail(CHANGED, v.trusted.shot, viewProblems(v.trusted.cells, { charts: 'html', liveCharts: 'html' }));
          } finally {
            await jupyter.shutdownKernels();
          }
        },
      );
    } finally {
      await plain.close();
      await jupyter.stop();
    }

    // JupyterLab with jupyterlab-plotly: the rich notebooks, and the untrusted copy.
    for (const rel of RICH) wsPlotly.copy(rel);
    // Untrusted in this server too: its trust database is its own.
    changedOutsideJupyter(join(ws.dir, REOPEN), join(wsPlotly.dir, CHANGED));
    const withPlotly = await startJupyter({
      python,
      module: 'jupyterlab',
      rootDir: wsPlotly.dir,
      args: LAB_ARGS,
      files: lab4Files(true),
      name: 'JupyterLab (jupyterlab-plotly)',
    });
    const plotly = luminoSession(browser, withPlotly, WITH_PLOTLY);
    try {
      timings.push(...(await runAll(t, plotly, wsPlotly, RICH, 'jupyterlab-plotly', [REOPEN])));
      await reopened(t, plotly, wsPlotly, 'trusted', { charts: 'jupyterlab-plotly', liveCharts: 'html' });
      await t.test(
        `${WITH_PLOTLY.name}: ${REOPEN} saved in plain JupyterLab, changed outside Jupyter (untrusted), opened`,
        async (sub) => {
          try {
            const v = await viewNotebook(plotly, wsPlotly, CHANGED, 'untrusted');
            // The extension's renderer is safe for untrusted output: it draws from the saved plotly JSON. Live charts carry none.
            sub.diagnostic(`opened untrusted: ${seen(v.cells)}`);
            fail(CHANGED, v.shot, viewProblems(v.cells, { charts: 'jupyterlab-plotly', liveCharts: 'note' }));
          } finally {
            await withPlotly.shutdownKernels();
          }
        },
      );
    } finally {
      await plotly.close();
      await withPlotly.stop();
    }
  } finally {
    await browser.close();
    ws.remove();
    wsPlotly.remove();
    recordTimings(timings);
  }
});
