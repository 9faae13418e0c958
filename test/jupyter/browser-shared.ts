/**
 * What the browser tests share (browser.test.ts: classic Notebook 6; browser-lab.test.ts:
 * JupyterLab 4; browser-nb7.test.ts: Notebook 7): Chromium, a Jupyter server on 127.0.0.1 in
 * scratch folders, copies of the notebooks to run, and the checks made on what the page shows.
 *
 * Notebooks are found as notebooks/*.ipynb plus test/fixtures/*.ipynb; what each cell should show
 * is declared by its tags (cell metadata "tags"):
 *  - "chart": the cell draws at least one plotly chart;
 *  - "live-chart": exactly one chart output, redrawn in place (at least twice, not appended);
 *  - "progress": exactly one progress bar output, showing the finished state.
 * Whatever the tags, every chart output must be drawn, by the renderer the front-end is expected
 * to use (live charts by the HTML route everywhere), every progress bar must end in its finished state (a bar appended per redraw would
 * leave unfinished ones behind), no cell may write to stderr or show an error, and plotly.js is
 * sent once per kernel session.
 *
 * Browser-side code is written as strings: the project's tsconfig has no DOM library (Node code).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { jupyterEnv } from '../../scripts/jupyter-env';

export const ROOT = resolve(__dirname, '..', '..');
/** Debian's Chromium; RNN_CHROMIUM points elsewhere (another system's browser, or a missing path to see the skip). */
export const CHROMIUM = process.env.RNN_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser');
/** Per notebook: kernel start, tslab compiling each cell, smoke-mode training. */
export const NOTEBOOK_TIMEOUT_MS = Number(process.env.RNN_BROWSER_TIMEOUT_MS ?? 15 * 60_000);
/** After the last cell ran, charts still parse plotly.js and draw. */
export const DRAW_TIMEOUT_MS = 90_000;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Under CI (or when asked with RNN_BROWSER_REQUIRED=1) a missing browser or front-end fails the test; elsewhere it is skipped, saying why. */
export function unavailable(t: TestContext, reason: string): void {
  const required =
    (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') ||
    process.env.RNN_BROWSER_REQUIRED === '1';
  if (required) assert.fail(`${reason} (required under CI)`);
  t.skip(reason);
}

export function chromiumProblem(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `chromium not installed: ${CHROMIUM} is missing (Debian: apt-get install chromium; or set RNN_CHROMIUM); the browser test did not run`;
}

export async function launchChromium(): Promise<Browser> {
  // A fresh profile each time: nothing carries over between runs.
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
}

export interface TestPage {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly pageErrors: string[];
}

/** A page that can reach 127.0.0.1 only (anything else is aborted and reported as a page error). */
export async function openPage(browser: Browser, viewport = { width: 1280, height: 1000 }): Promise<TestPage> {
  const context = await browser.newContext({ viewport });
  const pageErrors: string[] = [];
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
    pageErrors.push(`request to ${url.origin} blocked (tests reach 127.0.0.1 only)`);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return { context, page, pageErrors };
}

/**
 * The notebooks with charts, a live chart and progress bars, which the front-ends other than plain
 * JupyterLab run (JupyterLab with jupyterlab-plotly, Notebook 7, and with the plot fixture, every
 * figure kind, the classic Notebook): plain JupyterLab, where learners work, runs every notebook.
 */
export const RICH = ['notebooks/02-data.ipynb', 'notebooks/04-training.ipynb'] as const;

/**
 * notebooks/*.ipynb, then test/fixtures/*.ipynb, as paths relative to the project root. Notebooks
 * meant to fail (test/fixtures/failing/) are not listed: a front-end would wait on them forever.
 */
export function listNotebooks(): string[] {
  const inDir = (dir: string): string[] =>
    existsSync(join(ROOT, dir))
      ? readdirSync(join(ROOT, dir))
          .filter((f) => f.endsWith('.ipynb'))
          .sort()
          .map((f) => `${dir}/${f}`)
      : [];
  return [...inDir('notebooks'), ...inDir('test/fixtures')];
}

/** A cell as the notebook file has it. */
export interface FileCell {
  readonly type: string;
  readonly tags: readonly string[];
  readonly source: string;
}

export function readCells(file: string): FileCell[] {
  const nb = JSON.parse(readFileSync(file, 'utf8')) as {
    cells?: { cell_type: string; source: string | string[]; metadata?: { tags?: string[] } }[];
  };
  if (!Array.isArray(nb.cells)) throw new Error(`${file}: not a notebook (no "cells" list)`);
  return nb.cells.map((c) => ({
    type: c.cell_type,
    tags: c.metadata?.tags ?? [],
    source: Array.isArray(c.source) ? c.source.join('') : c.source,
  }));
}

/**
 * A scratch copy of the notebooks to run: front-ends autosave, and a test must never write into
 * notebooks/. The layout mirrors the project (notebooks/, test/fixtures/), and dist/ and
 * node_modules/ are links to the project's, so `../dist` and the kernel's tslab resolve as usual.
 */
export interface Workspace {
  readonly dir: string;
  /** Copies `rel` (relative to the project) into the workspace, returns its path there. */
  copy(rel: string, as?: string): string;
  remove(): void;
}

export function makeWorkspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'rnn-browser-work-'));
  for (const link of ['dist', 'node_modules']) symlinkSync(join(ROOT, link), join(dir, link), 'junction');
  return {
    dir,
    copy(rel: string, as = rel): string {
      const to = join(dir, as);
      mkdirSync(dirname(to), { recursive: true });
      cpSync(join(ROOT, rel), to);
      return to;
    },
    remove(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function freePort(): Promise<number> {
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

export interface Jupyter {
  readonly base: string;
  readonly token: string;
  /** The scratch folder holding the server's runtime, data (trust database), config and settings. */
  readonly home: string;
  /** The server's last output lines, for failure messages. */
  log(): string;
  api(method: string, path: string, body?: unknown): Promise<unknown>;
  /**
   * Starts the notebook's session and tslab kernel through the server, as the page would on
   * opening it, so that the kernel starts while the page loads; the page then joins that session.
   */
  startSession(rel: string): Promise<void>;
  /** Shuts every kernel down (one kernel at a time: the machine has two cores). */
  shutdownKernels(): Promise<void>;
  stop(): Promise<void>;
}

export interface JupyterOptions {
  /** The Python that runs the server (`python -m <module>`). */
  readonly python: string;
  readonly module: 'jupyterlab' | 'notebook';
  /** Where notebooks are served from. */
  readonly rootDir: string;
  /** Arguments that differ between front-ends (token, root folder, ...); `{token}`, `{root}` are replaced. */
  readonly args: readonly string[];
  /** Files to write into the scratch home first, relative to it (settings, page_config.json). */
  readonly files?: Readonly<Record<string, unknown>>;
  readonly env?: Readonly<Record<string, string>>;
  /** What the failure messages call it. */
  readonly name: string;
}

export async function startJupyter(o: JupyterOptions): Promise<Jupyter> {
  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  // Runtime, data (trust database), config and settings in a temporary folder: nothing global changes.
  const home = mkdtempSync(join(tmpdir(), 'rnn-browser-jupyter-'));
  for (const [file, content] of Object.entries(o.files ?? {})) {
    mkdirSync(dirname(join(home, file)), { recursive: true });
    writeFileSync(join(home, file), JSON.stringify(content, null, 2));
  }
  const env = {
    ...jupyterEnv(process.env),
    JUPYTER_RUNTIME_DIR: join(home, 'runtime'),
    JUPYTER_DATA_DIR: join(home, 'data'),
    JUPYTER_CONFIG_DIR: join(home, 'config'),
    JUPYTERLAB_SETTINGS_DIR: join(home, 'lab-settings'),
    JUPYTERLAB_WORKSPACES_DIR: join(home, 'lab-workspaces'),
    // What a notebook writes to os.tmpdir() in smoke mode (run records) goes with the scratch home.
    TMPDIR: join(home, 'tmp'),
    RNN_SMOKE: '1',
    ...o.env,
  };
  mkdirSync(env.TMPDIR, { recursive: true });
  const args = [
    '-m',
    o.module,
    '--no-browser',
    '--ip=127.0.0.1',
    `--port=${port}`,
    '--port-retries=0',
    ...o.args.map((a) => a.replace('{token}', token).replace('{root}', o.rootDir)),
  ];
  // CI and these machines run as root; Jupyter refuses that unless told.
  if (process.getuid?.() === 0) args.push('--allow-root');
  // Its own process group, so that stopping it reaches the server and nothing else.
  const child: ChildProcess = spawn(o.python, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
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
  const api = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const init =
      body === undefined
        ? { method }
        : { method, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } };
    const response = await fetch(`${base}${path}${path.includes('?') ? '&' : '?'}token=${token}`, init);
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}`);
    return response.status === 204 ? null : response.json();
  };
  const log = (): string => lines.join('\n');
  const shutdownKernels = async (): Promise<void> => {
    const kernels = (await api('GET', '/api/kernels').catch(() => [])) as { id: string }[];
    await Promise.all(kernels.map((k) => api('DELETE', `/api/kernels/${k.id}`).catch(() => undefined)));
  };
  const startSession = async (rel: string): Promise<void> => {
    await api('POST', '/api/sessions', {
      path: rel,
      name: rel.split('/').pop(),
      type: 'notebook',
      kernel: { name: 'tslab' },
    });
  };
  const stop = async (): Promise<void> => {
    // Kernels run in process groups of their own: shut them down through the server first.
    await shutdownKernels().catch(() => undefined);
    if (!exited && child.pid !== undefined) {
      process.kill(-child.pid, 'SIGTERM');
      for (let i = 0; i < 100 && !exited; i++) await sleep(100);
      if (!exited) process.kill(-child.pid, 'SIGKILL');
    }
    rmSync(home, { recursive: true, force: true });
  };
  const started = Date.now();
  for (;;) {
    if (exited) throw new Error(`${o.name} exited before it served; its output:\n${log()}`);
    try {
      await api('GET', '/api/status');
      return { base, token, home, log, api, startSession, shutdownKernels, stop };
    } catch {
      if (Date.now() - started > 60_000) {
        await stop();
        throw new Error(`${o.name} did not answer on ${base} within 60 s; its output:\n${log()}`);
      }
      await sleep(250);
    }
  }
}

/** Which renderer drew a chart output: this project's HTML and script, or the jupyterlab-plotly extension. */
export type Renderer = 'html' | 'jupyterlab-plotly' | 'unknown';

export interface ChartState {
  readonly renderer: Renderer;
  /** Drawn as a chart (an SVG), or shown as the PNG snapshot jupyterlab-plotly saved with it. */
  readonly drawn: boolean;
  /** Shown as jupyterlab-plotly's saved PNG snapshot (interactive once hovered). */
  readonly image: boolean;
  /** Which draw of its output this is (the figure's datarevision, else the box's data-rnn-revision). */
  readonly revision: number;
  /** The box's visible text when nothing is drawn (the not-drawn note, or a failure message). */
  readonly text: string;
  /** The "Chart not drawn" note is shown. */
  readonly note: boolean;
}

/** What the page shows for one cell. */
export interface CellState {
  readonly index: number;
  readonly type: string;
  readonly tags: readonly string[];
  readonly source: string;
  /** The execution count, '*' while running, null when the cell did not run. */
  readonly prompt: number | string | null;
  readonly outputs: number;
  readonly charts: readonly ChartState[];
  /** Text of each progress bar output. */
  readonly progress: readonly string[];
  readonly loaders: number;
  /** stderr streams and error outputs. */
  readonly stderr: string;
}

/**
 * Browser-side: the chart state of the chart outputs under `el`, as an array. Shared by both
 * front-ends' state scripts (a function's source, pasted into them).
 */
export const CHART_STATES_FN = `function chartStates(outputs) {
  return outputs.filter(function (o) { return o.querySelector('.rnn-plot, .js-plotly-plot, .jp-RenderedPlotly') || (o.classList && o.classList.contains('jp-RenderedPlotly')); }).map(function (o) {
    var ext = o.classList.contains('jp-RenderedPlotly') || o.querySelector('.jp-RenderedPlotly') !== null;
    var html = o.querySelector('.rnn-plot') !== null;
    var gd = o.classList.contains('js-plotly-plot') ? o : o.querySelector('.js-plotly-plot');
    var box = o.querySelector('.rnn-plot');
    var layout = gd && (gd.layout || gd._fullLayout);
    var revision = layout && typeof layout.datarevision === 'number' ? layout.datarevision : box ? Number(box.getAttribute('data-rnn-revision')) || 0 : 0;
    var note = o.querySelector('.rnn-plot-static');
    // jupyterlab-plotly stores a PNG of each chart it drew in the output; reopened, it shows that picture until hovered.
    var img = o.querySelector('img.plot-img');
    var image = !!img && /^data:image\\/png;base64,./.test(img.getAttribute('src') || '') && img.offsetHeight > 0;
    var drawn = o.querySelector('.main-svg') !== null || image;
    return {
      renderer: ext ? 'jupyterlab-plotly' : html ? 'html' : 'unknown',
      drawn: drawn,
      image: image,
      revision: revision,
      text: drawn ? '' : (o.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 600),
      note: note !== null && note.offsetHeight > 0
    };
  });
}`;

export function describeCell(cell: CellState): string {
  const first = cell.source.split('\n').find((l) => l.trim() !== '') ?? '';
  return `cell ${cell.index} [${cell.tags.join(', ') || 'no tags'}] \`${first.slice(0, 70)}\``;
}

export interface Expectations {
  /** The renderer every chart output must be drawn by, but live charts: those are always 'html'. */
  readonly renderer: Renderer;
  /** Page errors the front-end is known to log for tslab, not failures (e.g. JupyterLab's debugger). */
  readonly expectedPageErrors?: readonly RegExp[];
}

/** Everything wrong with a notebook after "run all", one line each (empty when it passed). */
export function problems(cells: readonly CellState[], pageErrors: readonly string[], expect: Expectations): string[] {
  const found: string[] = [];
  for (const e of pageErrors)
    if (!(expect.expectedPageErrors ?? []).some((re) => re.test(e))) found.push(`page error: ${e}`);
  for (const cell of cells.filter((c) => c.type === 'code')) {
    const why = cell.stderr ? `\n    stderr: ${cell.stderr.trim().replace(/\n/g, '\n    ')}` : '';
    if (typeof cell.prompt !== 'number') {
      found.push(
        `${describeCell(cell)} did not finish (prompt ${JSON.stringify(cell.prompt)}; an earlier cell may have failed)${why}`,
      );
      continue;
    }
    if (cell.stderr.trim() !== '') found.push(`${describeCell(cell)} wrote to stderr or showed an error:${why}`);
    const say = (c: ChartState): string => (c.text ? `\n    chart box says: ${c.text}` : '');
    const undrawn = cell.charts.filter((c) => !c.drawn);
    for (const c of undrawn)
      found.push(`${describeCell(cell)} has a chart output that is not drawn (renderer ${c.renderer})${say(c)}`);
    // Live charts leave out their plotly JSON (src/plot/live.ts), so they are HTML everywhere.
    const renderer: Renderer = cell.tags.includes('live-chart') ? 'html' : expect.renderer;
    for (const c of cell.charts.filter((x) => x.drawn && x.renderer !== renderer)) {
      const hint =
        c.renderer === 'html' && renderer !== 'html' ? ' (a live chart? then tag the cell "live-chart")' : '';
      found.push(`${describeCell(cell)}: a chart was drawn by ${c.renderer}, expected ${renderer}${hint}`);
    }
    if (cell.tags.includes('chart') && !cell.charts.some((c) => c.drawn))
      found.push(`${describeCell(cell)} is tagged "chart" but has no drawn plotly chart`);
    if (cell.tags.includes('live-chart')) {
      if (cell.charts.length !== 1)
        found.push(
          `${describeCell(cell)} is tagged "live-chart" but has ${cell.charts.length} chart outputs, not exactly 1 (appended instead of updated in place?)`,
        );
      else if (cell.charts[0]!.revision < 2)
        found.push(
          `${describeCell(cell)} is tagged "live-chart" but its chart was drawn ${cell.charts[0]!.revision} time(s): the in-place redraw was not exercised`,
        );
    }
    for (const p of cell.progress.filter((text) => !/finished in/.test(text))) {
      found.push(
        `${describeCell(cell)} has a progress bar that did not reach its finished state ("${p}"): a bar per redraw, or done() not called?`,
      );
    }
    if (cell.tags.includes('progress') && cell.progress.length !== 1) {
      found.push(
        `${describeCell(cell)} is tagged "progress" but has ${cell.progress.length} progress bar outputs, not exactly 1`,
      );
    }
  }
  // tslab reports errors as stderr text in the failing cell, and the cells after it never run.
  const firstUnfinished = cells.find((c) => c.type === 'code' && typeof c.prompt !== 'number');
  const cause =
    firstUnfinished && [...cells.slice(0, firstUnfinished.index)].reverse().find((c) => c.stderr.trim() !== '');
  if (cause)
    found.push(
      `likely cause, the last stderr before that: ${describeCell(cause)}:\n    ${cause.stderr.trim().replace(/\n/g, '\n    ')}`,
    );
  const loaders = cells.reduce((n, c) => n + c.loaders, 0);
  const hasCharts = cells.some((c) => c.charts.length > 0 || c.tags.includes('chart') || c.tags.includes('live-chart'));
  if (loaders > 1 || (hasCharts && loaders !== 1))
    found.push(`plotly.js was sent ${loaders} times in one kernel session, expected once`);
  return found;
}

/** One line per live chart and progress bar: how many times each was drawn in its one output. */
export function liveNotes(cells: readonly CellState[]): string[] {
  return cells.flatMap((c) => [
    ...(c.tags.includes('live-chart')
      ? c.charts.map(
          (chart) => `${describeCell(c)}: live chart drawn ${chart.revision} times in one output by ${chart.renderer}`,
        )
      : []),
    ...c.progress.map((p) => `${describeCell(c)}: progress bar "${p}"`),
  ]);
}

/** The artifact name of a notebook, e.g. notebooks_04-training. */
export function artifactName(rel: string): string {
  return relative('.', rel)
    .replace(/\.ipynb$/, '')
    .replace(/[^A-Za-z0-9_-]+/g, '_');
}

export interface Timing {
  readonly frontEnd: string;
  readonly notebook: string;
  /** From "run all" until every code cell had run, in seconds. */
  readonly runSeconds: number;
  /** From opening the page until the charts were settled, in seconds. */
  readonly totalSeconds: number;
}

/** Appends timings to test-artifacts/browser/timings.json (one list for all front-ends of a run). */
export function recordTimings(timings: readonly Timing[]): void {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, 'timings.json');
  const before = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Timing[]) : [];
  const keep = before.filter((b) => !timings.some((t) => t.frontEnd === b.frontEnd && t.notebook === b.notebook));
  writeFileSync(file, `${JSON.stringify([...keep, ...timings], null, 2)}\n`);
}

/**
 * Writes a copy of a saved notebook with one change made outside Jupyter (as another machine, a
 * merge or an editor would make): its signature no longer matches, so Jupyter does not trust it,
 * like a notebook executed or saved elsewhere.
 */
export function changedOutsideJupyter(from: string, to: string): void {
  const nb = JSON.parse(readFileSync(from, 'utf8')) as { metadata: Record<string, unknown> };
  nb.metadata.changed_outside_jupyter = true;
  writeFileSync(to, `${JSON.stringify(nb, null, 1)}\n`);
}

/** What a chart box should show when a notebook with outputs is opened: drawn by a renderer, or the not-drawn note. */
export type Seen = Renderer | 'note';

/** Chart outputs of the cells that declare charts, each with what it should show. */
export function declaredCharts(
  cells: readonly CellState[],
  want: { readonly charts: Seen; readonly liveCharts: Seen },
): (ChartState & { readonly cell: CellState; readonly want: Seen })[] {
  const none: ChartState = {
    drawn: false,
    image: false,
    note: false,
    renderer: 'unknown',
    revision: 0,
    text: '(no chart output)',
  };
  return cells
    .filter((c) => c.tags.includes('chart') || c.tags.includes('live-chart'))
    .flatMap((cell) =>
      (cell.charts.length === 0 ? [none] : cell.charts).map((c) => ({
        ...c,
        cell,
        want: cell.tags.includes('live-chart') ? want.liveCharts : want.charts,
      })),
    );
}

const NOTE_SAYS = [/Chart not drawn/, /Run All Cells/, /Trust Notebook/];

/** The chart boxes that do not show what they should (empty when all do). */
export function viewProblems(
  cells: readonly CellState[],
  want: { readonly charts: Seen; readonly liveCharts: Seen },
): string[] {
  const charts = declaredCharts(cells, want);
  if (charts.length === 0) return ['no cells with chart outputs at all'];
  const right = (c: (typeof charts)[number]): boolean =>
    c.want === 'note'
      ? c.note && !c.drawn && NOTE_SAYS.every((re) => re.test(c.text))
      : c.drawn && !c.note && c.renderer === c.want;
  return charts
    .filter((c) => !right(c))
    .map(
      (c) =>
        `${describeCell(c.cell)}: expected ${c.want === 'note' ? 'the "Chart not drawn" note' : `a chart drawn by ${c.want}`}; drawn ${c.drawn} by ${c.renderer}, note shown ${c.note}${c.text ? `, box says "${c.text.slice(0, 200)}"` : ''}`,
    );
}

/** One line on what a view showed, for the test log. */
export function seen(cells: readonly CellState[]): string {
  const charts = declaredCharts(cells, { charts: 'note', liveCharts: 'note' });
  const drawn = charts.filter((c) => c.drawn);
  const byRenderer = [...new Set(drawn.map((c) => c.renderer))].map((r) => {
    const mine = drawn.filter((c) => c.renderer === r);
    const images = mine.filter((c) => c.image).length;
    return `${mine.length} drawn by ${r}${images > 0 ? ` (${images} as its saved PNG snapshot, interactive once hovered)` : ''}`;
  });
  const notes = charts.filter((c) => c.note).length;
  return `${charts.length} chart boxes: ${[...byRenderer, `${notes} showing the "Chart not drawn" note`].join(', ')}`;
}

/** Waits until `file` differs from `before` and holds outputs: the front-end saved it. */
export async function waitForSavedOutputs(file: string, before: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    const now = readFileSync(file, 'utf8');
    if (now !== before) {
      // The server may be halfway through writing it.
      let saved: { cells?: { outputs?: unknown[] }[] } | undefined;
      try {
        saved = JSON.parse(now) as { cells?: { outputs?: unknown[] }[] };
      } catch {
        saved = undefined;
      }
      if (saved?.cells?.some((c) => (c.outputs ?? []).length > 0)) return;
    }
    if (Date.now() - started > 60_000) throw new Error(`${file}: saving did not write the outputs within 60 s`);
    await sleep(250);
  }
}
