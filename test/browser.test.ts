/**
 * The charts in a real browser: Debian's classic Jupyter Notebook on 127.0.0.1 runs every notebook
 * (notebooks/*.ipynb and the plot fixture in test/fixtures/) with the tslab kernel and RNN_SMOKE=1,
 * Chromium (playwright-core, Debian's binary, no browser download) runs all cells, and we check:
 *  - cells tagged "chart" hold a drawn plotly chart (`.main-svg`);
 *  - cells tagged "live-chart" hold exactly one chart output (redrawn in place, not appended);
 *  - plotly.js was sent once per page (kernel session), and no page errors occurred.
 * A screenshot of each notebook goes to test-artifacts/browser/. Skipped, saying why, when
 * /usr/bin/chromium or `jupyter notebook` is missing.
 *
 * Browser-side code is written as strings: the project's tsconfig has no DOM library (Node code).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';

const ROOT = resolve(__dirname, '..');
/** Debian's Chromium; RNN_CHROMIUM points elsewhere (another system's browser, or a missing path to see the skip). */
const CHROMIUM = process.env.RNN_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser');
/** Per notebook: kernel start, tslab compiling each cell, smoke-mode training. */
const NOTEBOOK_TIMEOUT_MS = Number(process.env.RNN_BROWSER_TIMEOUT_MS ?? 15 * 60_000);
/** After the last cell ran, charts still parse plotly.js and draw. */
const DRAW_TIMEOUT_MS = 90_000;

function skipReason(): string | undefined {
  if (!existsSync(CHROMIUM)) return `chromium not installed: ${CHROMIUM} is missing (Debian: apt-get install chromium; or set RNN_CHROMIUM); the browser test did not run`;
  const probe = spawnSync('jupyter', ['notebook', '--version'], { stdio: 'ignore' });
  if (probe.status !== 0) return 'jupyter notebook not installed (Debian: apt-get install jupyter-notebook); the browser test did not run';
  return undefined;
}

function listNotebooks(): string[] {
  const inDir = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.ipynb'))
          .sort()
          .map((f) => join(dir, f))
      : [];
  return [...inDir(join(ROOT, 'notebooks')), ...inDir(join(ROOT, 'test', 'fixtures'))];
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Jupyter {
  readonly base: string;
  readonly token: string;
  /** The server's last output lines, for failure messages. */
  log(): string;
  api(method: string, path: string): Promise<unknown>;
  stop(): Promise<void>;
}

async function startJupyter(): Promise<Jupyter> {
  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  // Runtime, data (trust database) and config in a temporary folder: nothing global changes.
  const home = mkdtempSync(join(tmpdir(), 'rnn-browser-jupyter-'));
  const env = {
    ...process.env,
    JUPYTER_PATH: [join(ROOT, '.jupyter', 'share', 'jupyter'), process.env.JUPYTER_PATH].filter(Boolean).join(delimiter),
    JUPYTER_RUNTIME_DIR: join(home, 'runtime'),
    JUPYTER_DATA_DIR: join(home, 'data'),
    JUPYTER_CONFIG_DIR: join(home, 'config'),
    RNN_SMOKE: '1',
  };
  const args = ['notebook', '--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0', `--NotebookApp.token=${token}`, `--notebook-dir=${ROOT}`];
  // CI and these machines run as root; the Notebook refuses that unless told.
  if (process.getuid?.() === 0) args.push('--allow-root');
  // Its own process group, so that stopping it reaches the server and nothing else.
  const child: ChildProcess = spawn('jupyter', args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 40));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.once('exit', () => (exited = true));
  const base = `http://127.0.0.1:${port}`;
  const api = async (method: string, path: string): Promise<unknown> => {
    const response = await fetch(`${base}${path}${path.includes('?') ? '&' : '?'}token=${token}`, { method });
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}`);
    return response.status === 204 ? null : response.json();
  };
  const log = (): string => lines.join('\n');
  const stop = async (): Promise<void> => {
    // Kernels run in sessions of their own: shut them down through the server first.
    try {
      const kernels = (await api('GET', '/api/kernels')) as { id: string }[];
      await Promise.all(kernels.map((k) => api('DELETE', `/api/kernels/${k.id}`).catch(() => undefined)));
    } catch {
      // The server is already gone.
    }
    if (!exited && child.pid !== undefined) {
      process.kill(-child.pid, 'SIGTERM');
      for (let i = 0; i < 100 && !exited; i++) await sleep(100);
      if (!exited) process.kill(-child.pid, 'SIGKILL');
    }
    rmSync(home, { recursive: true, force: true });
  };
  const started = Date.now();
  for (;;) {
    if (exited) throw new Error(`jupyter notebook exited before it served; its output:\n${log()}`);
    try {
      await api('GET', '/api/status');
      return { base, token, log, api, stop };
    } catch {
      if (Date.now() - started > 60_000) {
        await stop();
        throw new Error(`jupyter notebook did not answer on ${base} within 60 s; its output:\n${log()}`);
      }
      await sleep(250);
    }
  }
}

/** What the page shows for one cell after the run. */
interface CellState {
  readonly index: number;
  readonly type: string;
  readonly tags: string[];
  readonly source: string;
  /** The execution count, '*' while running, null when the cell did not run. */
  readonly prompt: number | string | null;
  readonly outputs: number;
  /** Outputs holding a chart (ours or any plotly chart). */
  readonly chartOutputs: number;
  /** Plotly charts actually drawn (an SVG inside). */
  readonly drawn: number;
  readonly loaders: number;
  readonly revision: number;
  readonly chartText: string;
  readonly stderr: string;
}

const CELL_STATES_JS = `Jupyter.notebook.get_cells().map(function (c, index) {
  var el = c.element[0];
  var areas = Array.prototype.slice.call(el.querySelectorAll('.output_area'));
  var plots = Array.prototype.slice.call(el.querySelectorAll('.rnn-plot, .js-plotly-plot'));
  return {
    index: index,
    type: c.cell_type,
    tags: (c.metadata && c.metadata.tags) || [],
    source: c.get_text(),
    prompt: c.cell_type === 'code' ? (c.input_prompt_number === undefined ? null : c.input_prompt_number) : null,
    outputs: areas.length,
    chartOutputs: areas.filter(function (a) { return a.querySelector('.rnn-plot, .js-plotly-plot'); }).length,
    drawn: Array.prototype.slice.call(el.querySelectorAll('.js-plotly-plot')).filter(function (p) { return p.querySelector('.main-svg'); }).length,
    loaders: el.querySelectorAll('.rnn-plotly-loader').length,
    revision: Math.max.apply(null, [0].concat(Array.prototype.slice.call(el.querySelectorAll('.rnn-plot')).map(function (p) { return Number(p.getAttribute('data-rnn-revision')) || 0; }))),
    chartText: plots.filter(function (p) { return !p.querySelector('.main-svg'); }).map(function (p) { return p.textContent; }).join(' | ').slice(0, 500),
    stderr: Array.prototype.slice.call(el.querySelectorAll('.output_stderr')).map(function (e) { return e.textContent; }).join('\\n').slice(-2000)
  };
})`;

// Drawing is over when every chart box holds an SVG or a failure message. Cells that did not
// run or hold no chart box are settled too (all outputs are in once the kernel is idle): the
// checks below report them without waiting for a timeout.
const CHARTS_SETTLED_JS = `Array.prototype.slice.call(document.querySelectorAll('.rnn-plot, .js-plotly-plot')).every(function (p) {
  return p.querySelector('.main-svg') !== null || p.textContent.trim() !== '';
})`;

function describeCell(cell: CellState): string {
  const first = cell.source.split('\n').find((l) => l.trim() !== '') ?? '';
  return `cell ${cell.index} [${cell.tags.join(', ') || 'no tags'}] \`${first.slice(0, 70)}\``;
}

function problems(cells: readonly CellState[], pageErrors: readonly string[]): string[] {
  const found: string[] = [];
  for (const e of pageErrors) found.push(`page error: ${e}`);
  for (const cell of cells.filter((c) => c.type === 'code')) {
    const why = cell.stderr ? `\n    stderr: ${cell.stderr.trim().replace(/\n/g, '\n    ')}` : '';
    if (typeof cell.prompt !== 'number') {
      found.push(`${describeCell(cell)} did not finish (prompt ${JSON.stringify(cell.prompt)}; an earlier cell may have failed)${why}`);
      continue;
    }
    const text = cell.chartText ? `\n    chart box says: ${cell.chartText}` : '';
    if (cell.tags.includes('chart') && cell.drawn < 1) found.push(`${describeCell(cell)} is tagged "chart" but has no drawn plotly chart (.main-svg)${text}${why}`);
    if (cell.tags.includes('live-chart')) {
      if (cell.chartOutputs !== 1) found.push(`${describeCell(cell)} is tagged "live-chart" but has ${cell.chartOutputs} chart outputs, not exactly 1 (appended instead of updated in place?)${why}`);
      else if (cell.drawn !== 1) found.push(`${describeCell(cell)} is tagged "live-chart" but its chart is not drawn${text}${why}`);
    }
  }
  // tslab reports errors as stderr text in the failing cell, and the cells after it never run.
  const firstUnfinished = cells.find((c) => c.type === 'code' && typeof c.prompt !== 'number');
  const cause = firstUnfinished && [...cells.slice(0, firstUnfinished.index)].reverse().find((c) => c.stderr.trim() !== '');
  if (cause) found.push(`likely cause, the last stderr before that: ${describeCell(cause)}:\n    ${cause.stderr.trim().replace(/\n/g, '\n    ')}`);
  const loaders = cells.reduce((n, c) => n + c.loaders, 0);
  const hasCharts = cells.some((c) => c.tags.includes('chart') || c.tags.includes('live-chart'));
  if (loaders > 1 || (hasCharts && loaders !== 1)) found.push(`plotly.js was sent ${loaders} times in one kernel session, expected once`);
  return found;
}

async function checkNotebook(browser: Browser, jupyter: Jupyter, notebook: string, note: (message: string) => void): Promise<void> {
  const rel = relative(ROOT, notebook).split('\\').join('/');
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const shot = join(ARTIFACTS, `${rel.replace(/\.ipynb$/, '').replace(/[^A-Za-z0-9_-]+/g, '_')}.png`);
  let cells: CellState[] = [];
  try {
    const url = `${jupyter.base}/notebooks/${rel.split('/').map(encodeURIComponent).join('/')}?token=${jupyter.token}`;
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
    // Never write the run's outputs back into the notebook file.
    await page.evaluate('Jupyter.notebook.set_autosave_interval(0); Jupyter.notebook.clear_all_output(); Jupyter.notebook.execute_all_cells()');
    await page
      .waitForFunction(
        `!Jupyter.notebook.kernel_busy && Jupyter.notebook.get_cells().every(function (c) { return c.cell_type !== 'code' || c.input_prompt_number !== '*'; })`,
        null,
        { timeout: NOTEBOOK_TIMEOUT_MS, polling: 500 },
      )
      .catch(() => {
        throw new Error(`${rel}: cells still running after ${NOTEBOOK_TIMEOUT_MS / 1000} s (RNN_BROWSER_TIMEOUT_MS raises the limit)`);
      });
    // A failed draw is reported below with the cell, so a timeout here is not itself the error.
    await page.waitForFunction(CHARTS_SETTLED_JS, null, { timeout: DRAW_TIMEOUT_MS, polling: 250 }).catch(() => undefined);
    cells = (await page.evaluate(CELL_STATES_JS)) as CellState[];
  } finally {
    // Unscroll classic Notebook's #site so that a full-page shot holds the whole notebook.
    await page
      .addStyleTag({ content: 'html, body, #site { height: auto !important; overflow: visible !important; }' })
      .then(() => page.screenshot({ path: shot, fullPage: true, timeout: 60_000 }))
      .catch(() => undefined);
    await context.close();
  }
  for (const cell of cells.filter((c) => c.tags.includes('live-chart'))) {
    note(`${describeCell(cell)}: live chart drawn ${cell.revision} times in one output${cell.revision < 2 ? ' (the in-place update was not exercised)' : ''}`);
  }
  const found = problems(cells, pageErrors);
  assert.equal(found.length, 0, `${rel} (screenshot ${relative(ROOT, shot)}):\n  ${found.join('\n  ')}`);
}

const reason = skipReason();

test('notebooks draw their charts in Chromium (classic Jupyter Notebook, tslab kernel)', { timeout: 4 * 60 * 60_000 }, async (t) => {
  if (reason !== undefined) {
    t.skip(reason);
    return;
  }
  assert.ok(existsSync(join(ROOT, 'dist', 'plot', 'index.js')), 'dist/plot/index.js is missing: run `npm run build` first (the notebooks import ../dist)');
  mkdirSync(ARTIFACTS, { recursive: true });
  const notebooks = listNotebooks();
  // Opening a notebook makes the server create an empty .ipynb_checkpoints beside it; remove those we caused.
  const checkpointDirs = [...new Set(notebooks.map((n) => join(dirname(n), '.ipynb_checkpoints')))].filter((d) => !existsSync(d));
  const jupyter = await startJupyter();
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: 60_000,
    });
    const open = browser;
    for (const notebook of notebooks) {
      await t.test(relative(ROOT, notebook), { timeout: NOTEBOOK_TIMEOUT_MS + 5 * 60_000 }, async (sub) => {
        try {
          await checkNotebook(open, jupyter, notebook, (message) => sub.diagnostic(message));
        } finally {
          // One kernel at a time: the machine has two cores.
          const kernels = (await jupyter.api('GET', '/api/kernels').catch(() => [])) as { id: string }[];
          await Promise.all(kernels.map((k) => jupyter.api('DELETE', `/api/kernels/${k.id}`).catch(() => undefined)));
        }
      });
    }
  } finally {
    await browser?.close();
    await jupyter.stop();
    for (const dir of checkpointDirs) {
      try {
        rmdirSync(dir); // only if still empty
      } catch {
        // Not empty (someone saved a checkpoint there) or already gone: leave it.
      }
    }
  }
});
