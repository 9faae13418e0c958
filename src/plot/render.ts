/**
 * Putting figures into tslab notebook outputs, offline.
 *
 * The first chart of a kernel session is preceded by one output holding the whole plotly.js
 * bundle inline (no CDN: the notebooks and their HTML exports work without a network); every
 * chart is then a `<div>` plus a small script that waits until both `window.Plotly` and the div
 * are in the page and calls `Plotly.react`. Each chart output also carries the figure as
 * `application/vnd.plotly.v1+json` (VS Code and JupyterLab with the plotly extension draw that
 * natively) and a `text/plain` summary (terminals, `--to markdown`).
 *
 * Where the script never runs, the chart's box says why and what to do instead of staying blank:
 * Jupyter strips the scripts of outputs it does not trust (a notebook reopened without its
 * signature, e.g. executed or saved on another machine), and so do GitHub and other static viewers.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from 'plotly.js';
import type { Display } from 'tslab';
import type { Figure } from './style';

/** A Jupyter MIME bundle: MIME type to content (`+json` types carry objects, the rest strings). */
export type MimeBundle = Readonly<Record<string, string | object>>;

/** One notebook output; each `update` after the first rewrites it in place (a tslab display id). */
export interface NotebookOutput {
  update(bundle: MimeBundle): void;
}

/** A chart drawn in one notebook output and redrawn in place by each `draw` (live curves). */
export interface ChartOutput {
  draw(figure: Figure): void;
}

/** Options for `show` and `createChartOutput`. */
export interface ShowOptions {
  /** Height of the chart's box in pixels when the figure's layout sets none. */
  readonly height?: number;
  /** plotly's config (toolbar, responsiveness), merged over `SHOW_DEFAULTS.config`. */
  readonly config?: Partial<Config>;
  /** Also send the figure as `application/vnd.plotly.v1+json` in the same output. */
  readonly plotlyJson?: boolean;
}

/** Defaults of `show` and `createChartOutput`. */
export const SHOW_DEFAULTS = {
  height: 450,
  config: { responsive: true, displaylogo: false } as Partial<Config>,
  plotlyJson: true,
} as const;

/** The MIME type VS Code and the JupyterLab plotly extension render natively. */
export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

// plotly.js-dist's plotly.js is ~10.7 MB unminified and every executed notebook carries it once:
// `npm run build` writes it minified to dist/plotly.min.js (scripts/minify-plotly.js), which is
// sent when it is there (running from dist/); from src/ (the tests) the package's own file is.
const BUNDLE_PACKAGE = 'plotly.js-dist';
const MINIFIED = join(__dirname, '..', 'plotly.min.js');
// How long a chart waits for plotly.js before it says so in its box (a big bundle parses slowly).
const WAIT_FOR_PLOTLY_MS = 60_000;

type RawWrite = (
  message: { data: MimeBundle; metadata: Record<string, string>; transient: { display_id?: string } },
  update: boolean,
) => void;

/**
 * tslab's public `display`/`newDisplay` put exactly one MIME type into each display_data message
 * (`raw(type, value)` sends `{ data: { [type]: value } }`, and a second call on the same display
 * replaces the first), so through them an output cannot carry HTML, plotly JSON and text together.
 * The function they call, `lastWriteDisplayData` of `tslab/dist/jupyter` (the same module
 * instance, since the kernel hands over to this project's node_modules/tslab), takes a whole
 * display_data content and passes it to Jupyter as is. We use it when it is there and has that
 * shape, and fall back to the public `html` (one MIME type) if a tslab release moves it.
 * Returns `null` outside a kernel (nothing to write to), `undefined` when the internal is gone.
 */
function rawWrite(): RawWrite | null | undefined {
  let mod: unknown;
  try {
    mod = require('tslab/dist/jupyter');
  } catch {
    return undefined;
  }
  if (typeof mod !== 'object' || mod === null || !('lastWriteDisplayData' in mod)) return undefined;
  const write = mod.lastWriteDisplayData;
  if (write === null) return null;
  return typeof write === 'function' ? (write as RawWrite) : undefined;
}

/**
 * tslab (the project's node_modules copy, the one the kernel hands over to) is loaded on first
 * output, not at import: it brings the TypeScript compiler (~0.2 s, ~45 MB), and the CLI, which
 * imports this module through index.ts, never shows anything in a notebook.
 */
function newTslabDisplay(): Display {
  return (require('tslab') as typeof import('tslab')).newDisplay();
}

function notInKernel(): Error {
  return new Error(
    'plot/render: no tslab kernel is running this code; show() and the live views only work inside a notebook cell',
  );
}

/** A new output in the current cell, updated in place on later `update` calls (also from later cells). */
export function createOutput(): NotebookOutput {
  const displayId = randomBytes(8).toString('hex');
  let sent = false;
  let fallback: Display | undefined;
  return {
    update(bundle: MimeBundle): void {
      const write = rawWrite();
      if (write === null) throw notInKernel();
      if (write !== undefined) {
        write({ data: bundle, metadata: {}, transient: { display_id: displayId } }, sent);
        sent = true;
        return;
      }
      const html = bundle['text/html'];
      fallback ??= newTslabDisplay();
      if (typeof html === 'string') fallback.html(html);
      else fallback.text(String(bundle['text/plain'] ?? ''));
    },
  };
}

let plotlySent = false;

function resolveBundle(): { path: string; version: string } {
  let manifest: string;
  try {
    manifest = require.resolve(`${BUNDLE_PACKAGE}/package.json`);
  } catch {
    throw new Error(`plot/render: ${BUNDLE_PACKAGE} is not installed; run npm install`);
  }
  const pkg: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
  const info = typeof pkg === 'object' && pkg !== null ? (pkg as { main?: unknown; version?: unknown }) : {};
  const version = typeof info.version === 'string' ? info.version : 'unknown';
  if (existsSync(MINIFIED)) return { path: MINIFIED, version };
  const main = typeof info.main === 'string' ? info.main : 'plotly.js';
  return { path: join(dirname(manifest), main), version };
}

/**
 * The HTML that defines `window.Plotly` from the bundle's source, unless the page has it already.
 * The bundle runs inside a function where `module`, `exports` and `define` are undefined, so that
 * its UMD header takes the browser branch even in pages that load RequireJS (classic Notebook).
 */
export function plotlyLoaderHtml(source: string, version: string): string {
  // `</script` inside the code would end the script element early; `<\/` means the same in JS strings and regexes.
  const safe = source.replace(/<\/(script)/gi, '<\\/$1');
  const v = version.replace(/[^0-9A-Za-z.+-]/g, '');
  return [
    `<span class="rnn-plotly-loader" data-plotly-version="${v}" hidden></span>`,
    '<script type="text/javascript">',
    '(function () {',
    'if (window.Plotly) return;',
    "window.PlotlyConfig = window.PlotlyConfig || { MathJaxConfig: 'local' };",
    'var module, exports, define;',
    safe,
    '}).call(window);',
    '</script>',
  ].join('\n');
}

/**
 * Sends plotly.js to the page once per kernel session (a kernel restart resets this module, and
 * sends it again). `force` sends it again now, e.g. after the page was reloaded.
 */
export function loadPlotly(options: { readonly force?: boolean } = {}): void {
  if (plotlySent && options.force !== true) return;
  const bundle = resolveBundle();
  createOutput().update({
    'text/html': plotlyLoaderHtml(readFileSync(bundle.path, 'utf8'), bundle.version),
    'text/plain': `plotly.js ${bundle.version} (sent inline, once per kernel session)`,
  });
  plotlySent = true;
}

/**
 * JSON that is safe inside a `<script>`: no `<` (so no `</script>`), no U+2028/2029. Numbers keep
 * 6 significant digits (float32 pixels and losses would otherwise spell out 17) and typed arrays
 * become arrays (JSON.stringify would write them as objects).
 */
export function scriptJson(value: unknown): string {
  const json = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v)) return Number(v.toPrecision(6));
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
    return v;
  });
  return json
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function cssSize(value: unknown, fallback: string): string {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? `${Math.round(value)}px` : fallback;
}

/** Text made safe inside HTML elements and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * What the chart's box shows until its script replaces it with the chart: visible only where the
 * script does not run. Plain HTML with inline styles, which Jupyter's sanitizer keeps.
 */
export function chartPlaceholderHtml(figure: Figure): string {
  return [
    '<div class="rnn-plot-static" style="box-sizing:border-box;height:100%;overflow:auto;padding:12px 16px;border:1px dashed #999;color:#444;background:#fafafa;font-family:sans-serif;font-size:13px;line-height:1.5">',
    `<p style="margin:0 0 6px 0"><b>Chart not drawn:</b> ${escapeHtml(figureSummary(figure).replace(/^\[plotly chart\] /, ''))}</p>`,
    '<p style="margin:0">Its script did not run: Jupyter runs no scripts in a notebook it does not trust (one executed or saved elsewhere), and static viewers run none. ',
    'To see the chart, run the cells again (Run &gt; Run All Cells), or trust the notebook (JupyterLab and Notebook 7: command palette, &quot;Trust Notebook&quot;; classic Notebook: File &gt; Trust Notebook).</p>',
    '</div>',
  ].join('');
}

/** The chart as a `<div>` with the given id and a script that draws the figure into it once plotly.js is there. */
export function chartHtml(
  figure: Figure,
  options: ShowOptions = {},
  id = `rnn-plot-${randomBytes(6).toString('hex')}`,
  revision = 1,
): string {
  const o = { ...SHOW_DEFAULTS, ...options, config: { ...SHOW_DEFAULTS.config, ...options.config } };
  const width = cssSize(figure.layout.width, '100%');
  const height = cssSize(figure.layout.height, `${o.height}px`);
  return [
    `<div id="${id}" class="rnn-plot" data-rnn-revision="${revision}" style="width:${width};max-width:100%;height:${height};">${chartPlaceholderHtml(figure)}</div>`,
    '<script type="text/javascript">',
    '(function () {',
    `  var id = ${scriptJson(id)};`,
    `  var figure = ${scriptJson({ data: figure.data, layout: figure.layout })};`,
    `  var config = ${scriptJson(o.config)};`,
    '  var started = Date.now();',
    '  function fail(el, message) { el.textContent = message; el.style.height = "auto"; el.style.color = "#a00"; }',
    '  function draw() {',
    // getElementById finds the div only once the front-end has attached the output to the page.
    '    var el = document.getElementById(id);',
    // The script runs, so the note for pages where it does not goes at once.
    '    var note = el && el.querySelector(".rnn-plot-static");',
    '    if (note) el.removeChild(note);',
    '    if (el && window.Plotly) {',
    '      try {',
    '        Promise.resolve(window.Plotly.react(el, figure.data, figure.layout, config)).catch(function (e) { fail(el, "Plotly could not draw this chart: " + e); });',
    '      } catch (e) { fail(el, "Plotly could not draw this chart: " + e); }',
    '      return;',
    '    }',
    `    if (Date.now() - started > ${WAIT_FOR_PLOTLY_MS}) {`,
    '      if (el) fail(el, "plotly.js is not loaded in this page (it is sent once per kernel session): restart the kernel and run the cells again, or run loadPlotly({ force: true }).");',
    '      return;',
    '    }',
    '    setTimeout(draw, 50);',
    '  }',
    '  draw();',
    '})();',
    '</script>',
  ].join('\n');
}

function stripTags(s: string): string {
  return s
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A one-line text description of a figure: its title and traces (`heatmap 28x28`, `scatter 'loss' 120 points`). */
export function figureSummary(figure: Figure): string {
  const title = stripTags(String(figure.layout.title?.text ?? 'untitled'));
  const traces = figure.data.map((trace) => {
    const t = trace as { type?: string; name?: string; z?: unknown; x?: unknown; y?: unknown };
    const type = t.type ?? 'scatter';
    const name = t.name === undefined ? '' : ` '${t.name}'`;
    if (Array.isArray(t.z)) {
      const first: unknown = t.z[0];
      return `${type}${name} ${t.z.length}x${Array.isArray(first) ? first.length : 1}`;
    }
    const points = Array.isArray(t.y) ? t.y.length : Array.isArray(t.x) ? t.x.length : 0;
    return `${type}${name} ${points} points`;
  });
  // Ten class lines would make a long line; the first few say what the chart is.
  const listed = traces.length > 4 ? [...traces.slice(0, 3), `${traces.length - 3} more traces`] : traces;
  return `[plotly chart] ${title}: ${listed.join(', ') || 'no traces'}`;
}

/**
 * The whole output for one chart: HTML (+script), plotly JSON when asked, and a text summary.
 * `revision` counts the redraws of one output; it is also the layout's `datarevision`, plotly's
 * own field for "the data changed", so whichever renderer drew the chart shows which draw it is.
 */
export function chartBundle(figure: Figure, options: ShowOptions = {}, revision = 1): MimeBundle {
  const o = { ...SHOW_DEFAULTS, ...options, config: { ...SHOW_DEFAULTS.config, ...options.config } };
  const shown: Figure = { data: figure.data, layout: { ...figure.layout, datarevision: revision } };
  const bundle: Record<string, string | object> = {
    'text/html': chartHtml(shown, options, undefined, revision),
    'text/plain': figureSummary(figure),
  };
  // Only the HTML is rendered by classic Notebook and nbconvert, which ignore this type.
  if (o.plotlyJson)
    bundle[PLOTLY_MIME] = JSON.parse(
      scriptJson({ data: shown.data, layout: shown.layout, config: o.config }),
    ) as object;
  return bundle;
}

/**
 * A chart output that redraws in place: every `draw` replaces the figure (fresh div id, so no
 * stale element is reused). For an output drawn more than once pass `plotlyJson: false`: the
 * jupyterlab-plotly extension renders the JSON of an output once and does not redraw it.
 */
export function createChartOutput(options: ShowOptions = {}): ChartOutput {
  const output = createOutput();
  let revision = 0;
  return {
    draw(figure: Figure): void {
      loadPlotly();
      revision += 1;
      output.update(chartBundle(figure, options, revision));
    },
  };
}

/** Draws a figure in the current notebook cell (sends plotly.js first if this kernel has not yet). */
export function show(figure: Figure, options: ShowOptions = {}): void {
  createChartOutput(options).draw(figure);
}
