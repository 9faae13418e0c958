import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Annotations, PlotData, Shape } from 'plotly.js';
import type { Figure } from '../../src/plot';
import { lstmCellFigure, lstmInsideFigure, unrolledRnnFigure } from '../../src/plot/network';
import {
  lineChartFigure,
  pcaScatterFigure,
  perClassAccuracyFigure,
  predictionGalleryFigure,
} from '../../src/plot/results';

function trace(figure: Figure, index = 0): Partial<PlotData> {
  const t = figure.data[index];
  assert.ok(t, `trace ${index} exists`);
  return t as Partial<PlotData>;
}
const texts = (figure: Figure): string[] =>
  (figure.layout.annotations ?? []).map((a: Partial<Annotations>) => String(a.text ?? ''));
const rects = (figure: Figure): Partial<Shape>[] => (figure.layout.shapes ?? []).filter((s) => s.type === 'rect');

test('unrolledRnnFigure: a folded cell, one box per shown step, an ellipsis for skipped steps, the output layer', () => {
  const f = unrolledRnnFigure({ steps: 28 });
  assert.ok(texts(f).includes('x<sub>27</sub> = row 27'));
  assert.ok(texts(unrolledRnnFigure({ steps: 2, inputLabel: (t) => `in ${t}` })).includes('in 1'));
  // folded + steps 0, 1, 2, 27 + output layer
  assert.equal(rects(f).length, 6);
  const t = texts(f);
  for (const step of [0, 1, 2, 27])
    assert.ok(
      t.some((s) => s.includes(`step ${step}`)),
      `box for step ${step}`,
    );
  assert.ok(t.includes('…'));
  assert.ok(t.some((s) => s.includes('all 28 steps')));
  assert.ok(t.filter((s) => s.includes('kernel, bias')).length >= 5, 'every box names the same weights');
  const short = unrolledRnnFigure({ steps: 3, cellLabel: 'RNN', weightsLabel: 'Wx, Wh, b' });
  assert.equal(rects(short).length, 5);
  assert.ok(!texts(short).includes('…'));
  assert.throws(() => unrolledRnnFigure({ steps: 0 }), /steps must be a positive integer/);
  assert.throws(() => unrolledRnnFigure({ steps: 5, shownSteps: [0, 5] }), /shownSteps\[1\] = 5/);
  assert.throws(() => unrolledRnnFigure({ steps: 5, shownSteps: [2, 1] }), /must increase/);
});

test('lineChartFigure: one trace per series, log axis, checks lengths and log values', () => {
  const f = lineChartFigure(
    [
      { name: 'a', x: [0, 1], y: [1, 10] },
      { name: 'b', x: [0, 1], y: [2, 3], dash: 'dash' },
    ],
    { logY: true, yRange: [1, 100] },
  );
  assert.equal(f.data.length, 2);
  assert.equal(f.layout.yaxis?.type, 'log');
  assert.deepEqual(f.layout.yaxis?.range, [0, 2]);
  assert.deepEqual(trace(f, 1).y, [2, 3]);
  assert.throws(() => lineChartFigure([{ name: 'a', x: [0], y: [1, 2] }]), /1 x values but 2 y values/);
  assert.throws(() => lineChartFigure([{ name: 'a', x: [0], y: [0] }], { logY: true }), /values <= 0/);
  assert.throws(() => lineChartFigure([]), /no series/);
});

test("pcaScatterFigure: one trace per label holding that label's points; explained variance in the axis titles", () => {
  const f = pcaScatterFigure(
    [
      [0, 1],
      [2, 3],
      [4, 5],
    ],
    [7, 1, 7],
    { explained: [0.5, 0.25] },
  );
  assert.deepEqual(
    f.data.map((d) => (d as Partial<PlotData>).name),
    ['1', '7'],
  );
  assert.deepEqual(trace(f, 1).x, [0, 4]);
  assert.match(
    String(f.layout.xaxis?.title && typeof f.layout.xaxis.title === 'object' ? f.layout.xaxis.title.text : ''),
    /50\.0%/,
  );
  assert.throws(() => pcaScatterFigure([[0, 1]], [1, 2]), /1 points but 2 labels/);
  assert.throws(() => pcaScatterFigure([[0]], [1]), /needs 2/);
});

test('predictionGalleryFigure: captions with confidence, mistakes in red with true→predicted, order kept', () => {
  const digit = new Float32Array(784).fill(0.5);
  const f = predictionGalleryFigure(
    { digits: [digit, digit, digit], trueLabels: [4, 7, 1], predLabels: [9, 7, 1], confidence: [0.61, 0.984, 0.5] },
    { columns: 2 },
  );
  assert.deepEqual(texts(f), ['4→9 · 61%', '7 · 98%', '1 · 50%']);
  const colors = (f.layout.annotations ?? []).map((a) => a.font?.color);
  assert.equal(colors[0], '#d62728');
  assert.notEqual(colors[1], '#d62728');
  const z = trace(f).z as (number | null)[][];
  assert.equal(z[0]?.length, 2 * 28 + 4, 'two columns and one gap wide');
  assert.match(String(f.layout.title && typeof f.layout.title === 'object' ? f.layout.title.text : ''), /1 mistakes/);
  assert.throws(
    () => predictionGalleryFigure({ digits: [digit], trueLabels: [1], predLabels: [1, 2], confidence: [1] }),
    /1 digits but 2 predLabels/,
  );
  assert.throws(
    () =>
      predictionGalleryFigure({ digits: [new Float32Array(10)], trueLabels: [1], predLabels: [1], confidence: [1] }),
    /has 10 values/,
  );
});

test('perClassAccuracyFigure: bars with correct/total and the overall accuracy', () => {
  const f = perClassAccuracyFigure([
    { label: 0, correct: 9, total: 10, accuracy: 0.9 },
    { label: 1, correct: 5, total: 10, accuracy: 0.5 },
  ]);
  assert.deepEqual(trace(f).y, [0.9, 0.5]);
  assert.deepEqual(trace(f).text, ['9/10', '5/10']);
  assert.deepEqual(trace(f, 1).y, [0.7, 0.7]);
});

test('lstmInsideFigure: the input and one heatmap per panel, time across, stacked domains sharing one x axis', () => {
  const rows = Array.from({ length: 4 }, () => [0, 1, 0.5]);
  const values = Array.from({ length: 4 }, (_, t) => [t, t - 3]);
  const f = lstmInsideFigure(rows, [
    { name: 'h', values },
    { name: 'f', values: values.map((v) => v.map((x) => x / 10 + 0.5)), range: [0, 1] },
  ]);
  assert.equal(f.data.length, 3);
  assert.deepEqual(
    trace(f, 1).z,
    [
      [0, 1, 2, 3],
      [-3, -2, -1, 0],
    ],
    'units down, time across',
  );
  assert.equal(trace(f, 1).zmin, -3);
  assert.equal(trace(f, 2).zmin, 0);
  const layout = f.layout as Record<string, { domain?: number[] } | undefined>;
  const top = layout.yaxis?.domain ?? [];
  const bottom = layout.yaxis3?.domain ?? [];
  assert.ok((top[0] ?? 0) > (bottom[1] ?? 1), 'the input panel is on top');
  assert.throws(
    () => lstmInsideFigure(rows, [{ name: 'h', values: values.slice(1) }]),
    /panel "h" has 3 steps, the input 4/,
  );
  assert.throws(() => lstmInsideFigure(rows, []), /no panels/);
});

test("lstmCellFigure: BasicLSTMCell's four gates and activations, the memory touched by one × and one +, the equations", () => {
  const f = lstmCellFigure({ forgetBias: 0.5 });
  assert.equal(f.data.length, 1, 'no data, only the invisible extent trace');
  const t = texts(f);
  // The gate blocks in BasicLSTMCell's names, each with its activation: sigmoid gates, tanh candidate.
  for (const gate of ['f', 'i', 'j', 'o']) assert.ok(t.includes(`<b>${gate}′</b>`), `gate ${gate}`);
  assert.equal(t.filter((x) => x === 'σ').length, 3, 'i, f, o are sigmoids');
  assert.equal(t.filter((x) => x === 'tanh').length, 2, 'the candidate j and tanh(c_t)');
  assert.ok(
    t.some((x) => x.startsWith('forget_bias 0.5')),
    'the forget bias given is written at the forget gate',
  );
  assert.ok(
    t.some((x) => x.includes('c<sub>t</sub> = f′ ⊙ c<sub>t−1</sub> + i′ ⊙ j′')),
    'the memory update',
  );
  assert.ok(
    t.some((x) => x.includes('h<sub>t</sub> = o′ ⊙ tanh(c<sub>t</sub>)')),
    'the output',
  );
  // On the memory line (y = 5) stand exactly two operations: the forget gate's × and the write's +.
  const circles = (f.layout.shapes ?? []).filter((s) => s.type === 'circle');
  const onMemory = circles.filter((c) => ((c.y0 as number) + (c.y1 as number)) / 2 === 5);
  assert.equal(onMemory.length, 2);
  assert.equal(circles.length, 4, 'plus i′ × j′ and o′ × tanh(c_t)');
  assert.throws(() => lstmCellFigure({ forgetBias: Number.NaN }), /forgetBias must be a finite number, got NaN/);
});
