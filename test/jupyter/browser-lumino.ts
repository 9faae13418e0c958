/**
 * Driving JupyterLab 4 and Notebook 7 (both built from JupyterLab's Lumino components, so one
 * driver serves both) the way a learner does: open a notebook, Run > Run All Cells from the menu,
 * wait until every code cell has run, read what the page shows. JupyterLab is loaded once per
 * server and each notebook opened in it with File > Open from Path... and closed with File > Close
 * Tab (the app takes ~4 s to load, the tab under 1 s); Notebook 7 shows one notebook per page.
 * Used by browser-lab.test.ts and browser-nb7.test.ts; the checks are in browser-shared.ts.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  ARTIFACTS,
  artifactName,
  CHART_STATES_FN,
  DRAW_TIMEOUT_MS,
  NOTEBOOK_TIMEOUT_MS,
  openPage,
  readCells,
  sleep,
  waitForSavedOutputs,
  type CellState,
  type Jupyter,
  type TestPage,
  type Workspace,
} from './browser-shared';

/** How one Lumino front-end is reached and what it is expected to show. */
export interface LuminoFrontEnd {
  /** Also the artifacts' folder name, e.g. "jupyterlab". */
  readonly id: string;
  /** For messages, e.g. "JupyterLab 4 (plain)". */
  readonly name: string;
  /**
   * 'app': JupyterLab, loaded once at `/lab`, notebooks opened in it from the File menu;
   * 'page': Notebook 7, one page per notebook at `/notebooks/<path>`.
   */
  readonly openIn: 'app' | 'page';
}

/** A front-end's server as the browser sees it; `close()` when done with the server. */
export interface LuminoSession {
  readonly browser: Browser;
  readonly jupyter: Jupyter;
  readonly fe: LuminoFrontEnd;
  /** The JupyterLab page shared by all notebooks ('app'), once opened. */
  app?: TestPage;
  close(): Promise<void>;
}

export function luminoSession(browser: Browser, jupyter: Jupyter, fe: LuminoFrontEnd): LuminoSession {
  const session: LuminoSession = {
    browser,
    jupyter,
    fe,
    async close(): Promise<void> {
      await session.app?.context.close();
      session.app = undefined;
    },
  };
  return session;
}

/** Settings for the server's scratch home: every cell in the DOM, no news or update checks (no network). */
export const LUMINO_SETTINGS = {
  // JupyterLab renders only the cells in view unless windowing is off; the checks read every cell.
  'lab-settings/@jupyterlab/notebook-extension/tracker.jupyterlab-settings': { windowingMode: 'none' },
  'lab-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings': {
    fetchNews: 'false',
    checkForUpdates: false,
  },
};

/** Server arguments common to JupyterLab and Notebook 7 (jupyter_server). */
export const LUMINO_ARGS = ['--IdentityProvider.token={token}', '--ServerApp.root_dir={root}'];

/** tslab has no debugger; JupyterLab's debugger extension logs this for it. Expected, not a failure. */
export const LUMINO_EXPECTED_PAGE_ERRORS = [/^No active debugger session$/];

const PANEL = '.jp-NotebookPanel:not(.lm-mod-hidden)';

// Browser-side: the state of every cell of the notebook in view, in file order (tags and source come from the file).
const CELL_STATES_JS = `(function () {
  ${CHART_STATES_FN}
  var panel = document.querySelector('${PANEL}');
  if (!panel) return null;
  return Array.prototype.slice.call(panel.querySelectorAll('.jp-Notebook .jp-Cell')).map(function (c) {
    var prompt = c.querySelector('.jp-InputArea-prompt');
    var m = prompt && /\\[(.*)\\]/.exec(prompt.textContent || '');
    var p = m ? m[1].trim() : '';
    var outputs = Array.prototype.slice.call(c.querySelectorAll('.jp-OutputArea-child'));
    return {
      type: c.classList.contains('jp-CodeCell') ? 'code' : c.classList.contains('jp-MarkdownCell') ? 'markdown' : 'raw',
      prompt: p === '' ? null : /^\\d+$/.test(p) ? Number(p) : p,
      outputs: outputs.length,
      charts: chartStates(outputs),
      progress: Array.prototype.slice.call(c.querySelectorAll('.rnn-progress')).map(function (e) { return (e.textContent || '').trim(); }),
      loaders: c.querySelectorAll('.rnn-plotly-loader').length,
      stderr: Array.prototype.slice.call(c.querySelectorAll('.jp-OutputArea-output[data-mime-type*="stderr"], .jp-OutputArea-output[data-mime-type*="error"]')).map(function (e) { return e.textContent; }).join('\\n').slice(-2000)
    };
  });
})()`;

// Drawing is over when every chart box holds an SVG, jupyterlab-plotly's saved PNG, or visible
// text (the not-drawn note, a failure message).
const CHARTS_SETTLED_JS = `Array.prototype.slice.call(document.querySelectorAll('${PANEL} .rnn-plot, ${PANEL} .jp-RenderedPlotly')).every(function (p) {
  var img = p.querySelector('img.plot-img');
  return p.querySelector('.main-svg') !== null || (img !== null && /^data:image\\/png/.test(img.getAttribute('src') || '')) || (p.textContent || '').trim() !== '';
})`;

type PageCell = Omit<CellState, 'index' | 'tags' | 'source'>;

/** The page's cells joined with the file's tags and sources; throws when the two disagree on the cells. */
async function cellStates(page: Page, file: string): Promise<CellState[]> {
  const fromFile = readCells(file);
  const fromPage = (await page.evaluate(CELL_STATES_JS)) as PageCell[] | null;
  if (fromPage === null) throw new Error(`${file}: no notebook panel in the page`);
  if (fromPage.length !== fromFile.length)
    throw new Error(
      `${file}: the page shows ${fromPage.length} cells, the file has ${fromFile.length} (windowing on?)`,
    );
  return fromPage.map((c, index) => ({ ...c, index, tags: fromFile[index]!.tags, source: fromFile[index]!.source }));
}

interface Session {
  path: string;
  kernel: { id: string; execution_state: string } | null;
}

async function kernelState(jupyter: Jupyter, rel: string): Promise<string | undefined> {
  const sessions = (await jupyter.api('GET', '/api/sessions')) as Session[];
  return sessions.find((s) => s.path === rel)?.kernel?.execution_state;
}

interface Opened {
  readonly page: Page;
  /** Page errors since the notebook was opened. */
  errors(): string[];
  close(): Promise<void>;
}

const urlPath = (rel: string): string => rel.split('/').map(encodeURIComponent).join('/');

/**
 * Opens the notebook and waits until the page shows all its cells (and, with `kernel`, until its
 * kernel, started through the server as the page would start it, is idle).
 */
async function open(s: LuminoSession, rel: string, file: string, kernel: boolean): Promise<Opened> {
  const { jupyter, fe } = s;
  if (kernel) await jupyter.startSession(rel);
  let opened: Opened;
  if (fe.openIn === 'page') {
    const tp = await openPage(s.browser);
    await tp.page.goto(`${jupyter.base}/notebooks/${urlPath(rel)}?token=${jupyter.token}`, {
      waitUntil: 'load',
      timeout: 60_000,
    });
    opened = { page: tp.page, errors: () => [...tp.pageErrors], close: () => tp.context.close() };
  } else {
    if (s.app === undefined) {
      s.app = await openPage(s.browser);
      // ?reset: start from an empty workspace, whatever an earlier page left open.
      await s.app.page.goto(`${jupyter.base}/lab?reset&token=${jupyter.token}`, { waitUntil: 'load', timeout: 60_000 });
    }
    const app = s.app;
    const page = app.page;
    const from = app.pageErrors.length;
    await menu(page, 'File', /^Open from Path/);
    await page.locator('.jp-Dialog input').fill(rel);
    await page.keyboard.press('Enter');
    opened = {
      page,
      errors: () => app.pageErrors.slice(from),
      async close(): Promise<void> {
        await page.setViewportSize({ width: 1280, height: 1000 });
        await menu(page, 'File', /^Close Tab$/);
        // "Save your work?": the run's outputs are not kept (the saved notebook was saved before).
        const discard = page.locator('.jp-Dialog button', { hasText: /^Discard$/ });
        await discard.click({ timeout: 2_000 }).catch(() => undefined);
        await page.waitForFunction(`document.querySelectorAll('.jp-NotebookPanel').length === 0`, null, {
          timeout: 30_000,
          polling: 100,
        });
      },
    };
  }
  const cells = readCells(file).length;
  await opened.page
    .waitForFunction(
      `document.querySelectorAll('.jp-NotebookPanel').length === 1 && document.querySelectorAll('${PANEL} .jp-Notebook .jp-Cell').length === ${cells}`,
      null,
      { timeout: 120_000, polling: 100 },
    )
    .catch(() => {
      throw new Error(
        `${rel}: ${fe.name} did not show the notebook's ${cells} cells within 120 s; server output:\n${jupyter.log()}`,
      );
    });
  if (kernel) {
    const started = Date.now();
    while ((await kernelState(jupyter, rel).catch(() => undefined)) !== 'idle') {
      if (Date.now() - started > 120_000)
        throw new Error(`${rel}: the tslab kernel did not start within 120 s; server output:\n${jupyter.log()}`);
      await sleep(250);
    }
  }
  return opened;
}

/** Clicks a menu bar menu, then one of its items, as a learner does. */
async function menu(page: Page, menuLabel: string, item: RegExp): Promise<void> {
  await page.locator('.lm-MenuBar-itemLabel', { hasText: new RegExp(`^${menuLabel}$`) }).click();
  await page.locator('.lm-Menu-itemLabel', { hasText: item }).first().click();
}

async function settle(page: Page): Promise<void> {
  // A failed draw is reported with its cell, so a timeout here is not itself the error.
  await page
    .waitForFunction(CHARTS_SETTLED_JS, null, { timeout: DRAW_TIMEOUT_MS, polling: 250 })
    .catch(() => undefined);
}

/** A screenshot of the whole notebook: the window is made as tall as the notebook first. */
async function screenshot(page: Page, shot: string): Promise<void> {
  const height = (await page
    .evaluate(
      `(function () { var o = document.querySelector('${PANEL} .jp-WindowedPanel-outer'); return o ? o.scrollHeight : 0; })()`,
    )
    .catch(() => 0)) as number;
  await page.setViewportSize({ width: 1280, height: Math.min(16_000, Math.max(1000, height + 250)) });
  await sleep(500);
  await page.screenshot({ path: shot, timeout: 60_000 });
}

export interface RunResult {
  readonly cells: CellState[];
  readonly pageErrors: readonly string[];
  readonly shot: string;
  readonly runSeconds: number;
  readonly totalSeconds: number;
}

/** Opens a notebook of the workspace, runs all its cells from the menu, waits for the charts, and reads the page. */
export async function runNotebook(
  s: LuminoSession,
  ws: Workspace,
  rel: string,
  options: { readonly save?: boolean } = {},
): Promise<RunResult> {
  const { jupyter, fe } = s;
  const file = join(ws.dir, rel);
  mkdirSync(join(ARTIFACTS, fe.id), { recursive: true });
  const shot = join(ARTIFACTS, fe.id, `${artifactName(rel)}.png`);
  const opened = Date.now();
  const nb = await open(s, rel, file, true);
  let cells: CellState[] = [];
  let runSeconds = NaN;
  let pageErrors: string[] = [];
  try {
    const started = Date.now();
    await menu(nb.page, 'Run', /^Run All Cells$/);
    // Done when every code cell shows an execution count and the kernel is idle, twice in a row
    // (tslab goes idle for a moment between queued cells).
    let calm = 0;
    for (;;) {
      cells = await cellStates(nb.page, file);
      const ran = cells.filter((c) => c.type === 'code').every((c) => typeof c.prompt === 'number');
      calm = ran && (await kernelState(jupyter, rel)) === 'idle' ? calm + 1 : 0;
      if (calm >= 2) break;
      if (Date.now() - started > NOTEBOOK_TIMEOUT_MS)
        throw new Error(
          `${rel}: cells still running after ${NOTEBOOK_TIMEOUT_MS / 1000} s in ${fe.name} (RNN_BROWSER_TIMEOUT_MS raises the limit)`,
        );
      await sleep(250);
    }
    runSeconds = (Date.now() - started) / 1000;
    await settle(nb.page);
    cells = await cellStates(nb.page, file);
    if (options.save === true) await save(nb.page, file);
  } finally {
    await screenshot(nb.page, shot).catch(() => undefined);
    pageErrors = nb.errors();
    await nb.close();
  }
  return { cells, pageErrors, shot, runSeconds, totalSeconds: (Date.now() - opened) / 1000 };
}

/** File > Save, then waits until the file on disk holds the outputs. */
async function save(page: Page, file: string): Promise<void> {
  const before = readFileSync(file, 'utf8');
  await menu(page, 'File', /^Save( Notebook)?$/);
  await waitForSavedOutputs(file, before);
}

export interface ViewResult {
  readonly cells: CellState[];
  readonly pageErrors: readonly string[];
  readonly shot: string;
  /** With `trust`: the same page after command palette > Trust Notebook. */
  readonly trusted?: { readonly cells: CellState[]; readonly shot: string };
}

/**
 * Opens a notebook that holds outputs, runs nothing, and reads what the page shows (what a learner
 * reopening it sees). With `trust`, then trusts it from the command palette ("Trust Notebook", then
 * the dialog's Trust button) and reads the page again.
 */
export async function viewNotebook(
  s: LuminoSession,
  ws: Workspace,
  rel: string,
  label: string,
  options: { readonly trust?: boolean } = {},
): Promise<ViewResult> {
  const { fe } = s;
  const file = join(ws.dir, rel);
  mkdirSync(join(ARTIFACTS, fe.id), { recursive: true });
  const shot = join(ARTIFACTS, fe.id, `${artifactName(rel)}-${label}.png`);
  const trustedShot = join(ARTIFACTS, fe.id, `${artifactName(rel)}-${label}-then-trusted.png`);
  const nb = await open(s, rel, file, false);
  const page = nb.page;
  let cells: CellState[] = [];
  let trusted: ViewResult['trusted'];
  let pageErrors: string[] = [];
  try {
    await page.waitForFunction(`document.querySelectorAll('${PANEL} .jp-OutputArea-child').length > 0`, null, {
      timeout: 60_000,
      polling: 250,
    });
    await settle(page);
    cells = await cellStates(page, file);
    if (options.trust === true) {
      await screenshot(page, shot);
      await page.setViewportSize({ width: 1280, height: 1000 });
      await page.locator(`${PANEL} .jp-Notebook`).click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('Control+Shift+C');
      await page.locator('.lm-CommandPalette-input').fill('Trust Notebook');
      await page
        .locator('.lm-CommandPalette-item', { hasText: /^Trust Notebook/ })
        .first()
        .click();
      await page.locator('.jp-Dialog button', { hasText: /^Trust$/ }).click({ timeout: 30_000 });
      await page
        .waitForFunction(`document.querySelectorAll('${PANEL} .main-svg').length > 0`, null, {
          timeout: DRAW_TIMEOUT_MS,
          polling: 250,
        })
        .catch(() => undefined);
      await settle(page);
      trusted = { cells: await cellStates(page, file), shot: trustedShot };
    }
  } finally {
    await screenshot(page, trusted ? trustedShot : shot).catch(() => undefined);
    pageErrors = nb.errors();
    await nb.close();
  }
  return { cells, pageErrors, shot, ...(trusted ? { trusted } : {}) };
}
