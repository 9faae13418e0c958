import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { runInNewContext } from 'node:vm';
import type { Figure } from '../../src/plot/style';
import {
  chartBundle,
  chartHtml,
  chartPlaceholderHtml,
  createChartOutput,
  createOutput,
  figureSummary,
  loadPlotly,
  PLOTLY_MIME,
  plotlyLoaderHtml,
  scriptJson,
  show,
} from '../../src/plot/render';

const figure: Figure = {
  data: [
    {
      type: 'heatmap',
      z: [
        [0.1234567891, 1],
        [0, 0.5],
      ],
    },
    { type: 'scatter', name: 'loss', x: [1, 2, 3], y: [3, 2, 1] },
  ],
  layout: { title: { text: 'A <b>test</b> chart' }, height: 300 },
};

/** The one inline script of an HTML snippet. */
function scriptOf(html: string): string {
  const m = /<script type="text\/javascript">\n([\s\S]*)\n<\/script>/.exec(html);
  assert.ok(m?.[1], 'the HTML has a script element');
  return m[1];
}

describe('plotlyLoaderHtml', () => {
  // A stand-in with the same UMD header as plotly.js-dist: CommonJS when `module` exists, else a global.
  const umd = `(function (root, factory) {
    if (typeof module === "object" && module.exports) { module.exports = factory(); } else { root.moduleName = factory(); }
  }(typeof self !== "undefined" ? self : this, () => { var P = { version: "test", s: "a</script>b" }; window.Plotly = P; return P; }));`;

  test('defines window.Plotly even where the page has CommonJS/AMD globals (RequireJS in classic Notebook)', () => {
    const window: Record<string, unknown> = {};
    const pageModule = { exports: {} };
    const context = { window, self: window, module: pageModule, define: Object.assign(() => undefined, { amd: {} }) };
    runInNewContext(scriptOf(plotlyLoaderHtml(umd, '9.9.9')), context);
    assert.equal((window.Plotly as { version?: string } | undefined)?.version, 'test');
    assert.deepEqual(pageModule.exports, {}, "the page's module object is left alone");
    // Made in the script's realm, so compared as JSON.
    assert.equal(JSON.stringify(window.PlotlyConfig), '{"MathJaxConfig":"local"}');
  });
  test('does nothing when the page already has Plotly', () => {
    const existing = { version: 'old' };
    const window: Record<string, unknown> = { Plotly: existing };
    runInNewContext(scriptOf(plotlyLoaderHtml(umd, '9.9.9')), { window, self: window });
    assert.equal(window.Plotly, existing);
  });
  test('escapes </script inside the code so the element ends only at its own closing tag', () => {
    const html = plotlyLoaderHtml(umd, '9.9.9');
    assert.equal(html.match(/<\/script/gi)?.length, 1);
    assert.ok(html.includes('a<\\/script>b'));
    assert.match(html, /class="rnn-plotly-loader" data-plotly-version="9\.9\.9" hidden/);
  });
});

describe('scriptJson', () => {
  test('leaves no "<" or line separators, rounds to 6 significant digits, writes typed arrays as arrays', () => {
    const json = scriptJson({
      s: '</script><!-- \u2028',
      x: 0.123456789,
      big: 1234567,
      f: Float32Array.of(0.5, 0.25),
      nan: NaN,
    });
    assert.ok(!json.includes('<'));
    assert.ok(!json.includes('\u2028'));
    assert.deepEqual(JSON.parse(json), {
      s: '</script><!-- \u2028',
      x: 0.123457,
      big: 1234567,
      f: [0.5, 0.25],
      nan: null,
    });
  });
});

describe('chartHtml', () => {
  test('is a div with the given id and a script that draws the figure into that div', () => {
    const html = chartHtml(figure, { config: { displayModeBar: false } }, 'rnn-plot-abc', 3);
    assert.ok(
      html.startsWith(
        `<div id="rnn-plot-abc" class="rnn-plot" data-rnn-revision="3" style="width:100%;max-width:100%;height:300px;">${chartPlaceholderHtml(figure)}</div>`,
      ),
    );
    const script = scriptOf(html);
    assert.match(script, /var id = "rnn-plot-abc";/);
    const figureJson = /var figure = (.*);/.exec(script)?.[1];
    assert.deepEqual(
      JSON.parse(figureJson ?? ''),
      JSON.parse(scriptJson({ data: figure.data, layout: figure.layout })),
    );
    const config = JSON.parse(/var config = (.*);/.exec(script)?.[1] ?? '') as Record<string, unknown>;
    assert.deepEqual(config, { responsive: true, displaylogo: false, displayModeBar: false });
  });
  test('draws with Plotly.react once both Plotly and the div are in the page', () => {
    const calls: unknown[][] = [];
    const timers: (() => void)[] = [];
    const page: { el: object | null } = { el: null };
    const window: Record<string, unknown> = {};
    const context = {
      window,
      document: { getElementById: (id: string) => (id === 'rnn-plot-x' ? page.el : null) },
      setTimeout: (f: () => void) => timers.push(f),
      Date,
      Promise,
    };
    runInNewContext(scriptOf(chartHtml(figure, {}, 'rnn-plot-x')), context);
    assert.equal(calls.length, 0);
    // The box arrives holding the note for pages where scripts do not run; a running script takes it away.
    const note = { className: 'rnn-plot-static' };
    const children: object[] = [note];
    page.el = {
      style: {},
      querySelector: (selector: string) =>
        selector === '.rnn-plot-static' ? (children.find((c) => c === note) ?? null) : null,
      removeChild: (child: object) => children.splice(children.indexOf(child), 1),
    };
    timers.shift()?.();
    assert.equal(calls.length, 0, 'still waiting for Plotly');
    assert.deepEqual(children, [], 'the note is gone as soon as the script finds its box, before plotly.js is there');
    window.Plotly = { react: (...args: unknown[]) => calls.push(args) };
    timers.shift()?.();
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.[0], page.el);
    assert.equal(timers.length, 0, 'stops polling once drawn');
  });
  test("holds a note saying the chart was not drawn, why, and how to draw it, with the figure's title escaped", () => {
    const note = chartPlaceholderHtml({
      data: [{ type: 'scatter', name: '<img src=x onerror=alert(1)>', y: [1] }],
      layout: { title: { text: 'Loss & <i>accuracy</i>' } },
    });
    assert.match(note, /^<div class="rnn-plot-static" style="[^"]*">/);
    assert.match(
      note,
      /<b>Chart not drawn:<\/b> Loss &amp; accuracy: scatter '&lt;img src=x onerror=alert\(1\)&gt;' 1 points/,
    );
    assert.match(note, /run the cells again \(Run &gt; Run All Cells\)/);
    assert.match(note, /&quot;Trust Notebook&quot;/);
    assert.doesNotMatch(note, /<script|<img/);
  });
  test('sizes the div from the layout when it has a width', () => {
    assert.match(
      chartHtml({ data: [], layout: { width: 320.4 } }, { height: 200 }, 'i'),
      /width:320px;max-width:100%;height:200px;/,
    );
  });
});

describe('figureSummary and chartBundle', () => {
  test('summarises title (tags stripped) and traces', () => {
    assert.equal(figureSummary(figure), "[plotly chart] A test chart: heatmap 2x2, scatter 'loss' 3 points");
    assert.equal(figureSummary({ data: [], layout: {} }), '[plotly chart] untitled: no traces');
    const many: Figure = {
      data: Array.from({ length: 10 }, (_, k) => ({ type: 'scatter', name: `${k}`, y: [0, 1] })),
      layout: {},
    };
    assert.equal(
      figureSummary(many),
      "[plotly chart] untitled: scatter '0' 2 points, scatter '1' 2 points, scatter '2' 2 points, 7 more traces",
    );
  });
  test('carries HTML, plotly JSON and text in one bundle; plotlyJson: false leaves the JSON out', () => {
    const bundle = chartBundle(figure);
    assert.deepEqual(Object.keys(bundle).sort(), [PLOTLY_MIME, 'text/html', 'text/plain'].sort());
    const json = bundle[PLOTLY_MIME] as { data: unknown; layout: unknown; config: unknown };
    assert.deepEqual(json.data, JSON.parse(scriptJson(figure.data)));
    assert.deepEqual(json.layout, { ...figure.layout, datarevision: 1 });
    assert.equal(bundle['text/plain'], figureSummary(figure));
    const redrawn = chartBundle(figure, {}, 4);
    assert.equal(
      (redrawn[PLOTLY_MIME] as { layout: { datarevision?: number } }).layout.datarevision,
      4,
      "the redraw count is the layout's datarevision",
    );
    assert.match(String(redrawn['text/html']), /data-rnn-revision="4"[\s\S]*"datarevision":4/);
    assert.ok(!(PLOTLY_MIME in chartBundle(figure, { plotlyJson: false })));
  });
});

describe('sending to the kernel', () => {
  type Message = { data: Record<string, unknown>; transient: { display_id?: string } };
  // The tslab module the kernel writes through; outside a kernel its writer is null.
  const jupyter = require('tslab/dist/jupyter') as {
    lastWriteDisplayData: ((m: Message, update: boolean) => void) | null | string;
  };
  const tslab = require('tslab') as { newDisplay: () => unknown };
  const realNewDisplay = tslab.newDisplay;
  afterEach(() => {
    jupyter.lastWriteDisplayData = null;
    tslab.newDisplay = realNewDisplay;
  });

  test('outside a kernel, says so', () => {
    assert.throws(() => createOutput().update({ 'text/plain': 'x' }), /no tslab kernel is running this code/);
  });
  test('sends plotly.js once, then each chart as one display_data; a chart output redraws in place', () => {
    const sent: { message: Message; update: boolean }[] = [];
    jupyter.lastWriteDisplayData = (message, update) => sent.push({ message, update });
    show(figure);
    show(figure);
    const live = createChartOutput();
    live.draw(figure);
    live.draw(figure);
    const loaders = sent.filter((s) => String(s.message.data['text/html']).includes('rnn-plotly-loader'));
    assert.ok(loaders.length <= 1, 'plotly.js is sent at most once per module lifetime');
    const charts = sent.filter((s) => PLOTLY_MIME in s.message.data);
    assert.equal(charts.length, 4);
    assert.deepEqual(
      charts.map((c) => c.update),
      [false, false, false, true],
    );
    assert.equal(charts[2]?.message.transient.display_id, charts[3]?.message.transient.display_id);
    assert.notEqual(charts[0]?.message.transient.display_id, charts[1]?.message.transient.display_id);
    assert.match(String(charts[3]?.message.data['text/html']), /data-rnn-revision="2"/);
    sent.length = 0;
    loadPlotly();
    assert.equal(sent.length, 0, 'not again in the same session');
    loadPlotly({ force: true });
    assert.equal(sent.length, 1);
    assert.match(String(sent[0]?.message.data['text/html']), /rnn-plotly-loader[\s\S]*window\.Plotly = Plotly/);
  });
  test("falls back to tslab's public display (HTML only) if the internal writer is gone", () => {
    jupyter.lastWriteDisplayData = 'moved in some later tslab';
    const shown: { display: number; html: string }[] = [];
    let displays = 0;
    tslab.newDisplay = () => {
      const display = ++displays;
      return {
        html: (html: string) => shown.push({ display, html }),
        text: (text: string) => shown.push({ display, html: `text:${text}` }),
      };
    };
    const output = createOutput();
    output.update({ 'text/html': '<b>1</b>', 'text/plain': '1' });
    output.update({ 'text/html': '<b>2</b>', 'text/plain': '2' });
    createOutput().update({ 'text/plain': 'only text' });
    assert.deepEqual(shown, [
      { display: 1, html: '<b>1</b>' },
      { display: 1, html: '<b>2</b>' },
      { display: 2, html: 'text:only text' },
    ]);
  });
});
