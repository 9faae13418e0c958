import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PlotData } from 'plotly.js';
import { downsample, trainingCurvesFigure } from '../../src/plot/curves';
import { digitGridFigure, digitRows, digitStepsFigure } from '../../src/plot/digits';
import { confusionMatrix } from '../../src/metrics';
import { confusionMatrixFigure, sequenceHeatmapFigure, stepProbabilitiesFigure } from '../../src/plot/matrices';
import type { Figure } from '../../src/plot/style';

/** A digit whose pixel (r, c) is (r * 28 + c) / 783, so every position is recognisable. */
function rampDigit(): Float32Array {
  return Float32Array.from({ length: 784 }, (_, i) => i / 783);
}

/** The trace at `index`, as the full PlotData shape (the builders only make heatmaps and scatters). */
function trace(figure: Figure, index = 0): Partial<PlotData> {
  const t = figure.data[index];
  assert.ok(t, `trace ${index} exists`);
  return t as Partial<PlotData>;
}

describe('digitRows', () => {
  test('splits 784 values into 28 rows of 28, row r = pixels r*28 .. r*28+27', () => {
    const rows = digitRows(rampDigit());
    assert.equal(rows.length, 28);
    for (const row of rows) assert.equal(row.length, 28);
    assert.equal(rows[0]?.[0], 0);
    assert.equal(rows[1]?.[0], Math.fround(28 / 783));
    assert.equal(rows[27]?.[27], 1);
  });
  test('rejects a digit of the wrong length, naming the count', () => {
    assert.throws(() => digitRows(new Float32Array(783)), /784 values.*got 783/);
  });
});

describe('downsample', () => {
  const points = Array.from({ length: 1000 }, (_, i) => i);
  test('keeps the first and last point and at most maxPoints, in order, without repeats', () => {
    for (const max of [2, 3, 7, 100, 999]) {
      const out = downsample(points, max);
      assert.equal(out.length, max);
      assert.equal(out[0], 0);
      assert.equal(out[out.length - 1], 999);
      for (let i = 1; i < out.length; i++)
        assert.ok((out[i] as number) > (out[i - 1] as number), `strictly increasing for max ${max}`);
    }
  });
  test('spreads the kept points evenly', () => {
    assert.deepEqual(downsample(points.slice(0, 11), 6), [0, 2, 4, 6, 8, 10]);
  });
  test('returns short inputs unchanged, as a copy', () => {
    const short = [1, 2, 3];
    const out = downsample(short, 5);
    assert.deepEqual(out, short);
    assert.notEqual(out, short);
    assert.deepEqual(downsample([], 5), []);
  });
  test('rejects maxPoints below 2 or not an integer', () => {
    assert.throws(() => downsample(points, 1), /maxPoints.*got 1/);
    assert.throws(() => downsample(points, 2.5), /maxPoints/);
  });
});

describe('digitStepsFigure', () => {
  test('puts the 28 time steps on the y axis, step t = row t', () => {
    const digit = rampDigit();
    const fig = digitStepsFigure(digit);
    const t = trace(fig);
    assert.deepEqual(t.z, digitRows(digit));
    assert.deepEqual(
      t.y,
      Array.from({ length: 28 }, (_, i) => i),
    );
    assert.match(String(fig.layout.yaxis?.title?.text), /time step/);
    assert.equal(fig.layout.yaxis?.autorange, 'reversed');
    assert.deepEqual(fig.layout.shapes, []);
  });
  test('outlines the highlighted step across the whole row', () => {
    const fig = digitStepsFigure(rampDigit(), { highlightStep: 10 });
    const shape = fig.layout.shapes?.[0];
    assert.equal(shape?.y0, 9.5);
    assert.equal(shape?.y1, 10.5);
    assert.equal(shape?.x0, -0.5);
    assert.equal(shape?.x1, 27.5);
    assert.throws(() => digitStepsFigure(rampDigit(), { highlightStep: 28 }), /highlightStep.*got 28/);
  });
});

describe('digitGridFigure', () => {
  const digits = [0, 1, 2].map((k) => Float32Array.from({ length: 784 }, (_, i) => (i === k ? 1 : 0)));
  test('tiles the digits into one heatmap, each at its grid cell, with gaps left empty', () => {
    const fig = digitGridFigure({ digits, trueLabels: [5, 6, 7] }, { columns: 2 });
    assert.equal(fig.data.length, 1);
    const z = trace(fig).z as (number | null)[][];
    // 2 columns of 28 with a 4-pixel gap; 2 grid rows of 12 label pixels + 28.
    assert.equal(z.length, 2 * (12 + 28));
    assert.equal(z[0]?.length, 28 + 4 + 28);
    assert.equal(z[0]?.[0], null);
    assert.equal(z[12]?.[0], 1); // digit 0's pixel 0
    assert.equal(z[12]?.[32 + 1], 1); // digit 1 (second column) has pixel 1 lit
    assert.equal(z[12]?.[32], 0);
    assert.equal(z[40 + 12]?.[2], 1); // digit 2 starts the second grid row
    assert.equal(z[12]?.[29], null); // the gap between columns
    assert.deepEqual(
      fig.layout.annotations?.map((a) => a.text),
      ['5', '6', '7'],
    );
    // A light frame around every tile, none red.
    assert.equal(fig.layout.shapes?.length, 3);
    assert.ok(fig.layout.shapes?.every((sh) => sh.line?.width === 1));
  });
  test('labels mistakes true→predicted in red, frames them, and can put them first', () => {
    const fig = digitGridFigure({ digits, trueLabels: [5, 6, 7], predLabels: [5, 1, 7] }, { mistakesFirst: true });
    const labels = fig.layout.annotations ?? [];
    assert.deepEqual(
      labels.map((a) => a.text),
      ['6→1', '5', '7'],
    );
    assert.notEqual(labels[0]?.font?.color, labels[1]?.font?.color);
    const red = fig.layout.shapes?.filter((sh) => sh.line?.width === 2) ?? [];
    assert.equal(red.length, 1);
    assert.equal(red[0]?.x0, -1); // the first tile
    assert.match(String(fig.layout.title?.text), /1 mistakes/);
    const plain = digitGridFigure(
      { digits, trueLabels: [5, 6, 7], predLabels: [5, 1, 7] },
      { highlightMistakes: false, maxDigits: 2 },
    );
    assert.deepEqual(
      plain.layout.annotations?.map((a) => a.text),
      ['5', '6→1'],
    );
    assert.ok(plain.layout.shapes?.every((sh) => sh.line?.width === 1));
  });
  test('rejects label arrays that do not match the digits', () => {
    assert.throws(() => digitGridFigure({ digits, trueLabels: [1, 2] }), /3 digits but 2 trueLabels/);
    assert.throws(
      () => digitGridFigure({ digits, trueLabels: [1, 2, 3], predLabels: [1] }),
      /3 digits but 1 predLabels/,
    );
    assert.throws(() => digitGridFigure({ digits: [new Float32Array(10)], trueLabels: [1] }), /digits\[0\].*784/);
  });
});

describe('trainingCurvesFigure', () => {
  const train = Array.from({ length: 2000 }, (_, i) => ({
    examplesSeen: (i + 1) * 128,
    loss: 2 / (i + 1),
    accuracy: i / 2000,
  }));
  const validation = [
    { examplesSeen: 12800, accuracy: 0.5, loss: 1.5 },
    { examplesSeen: 25600, accuracy: 0.7, loss: 1.0 },
  ];
  test('draws loss on the top axis and accuracy on the bottom, train and validation, x = examples seen', () => {
    const fig = trainingCurvesFigure(train, validation, { maxPoints: 100 });
    assert.equal(fig.data.length, 4);
    const [trainLoss, valLoss, trainAcc, valAcc] = [0, 1, 2, 3].map((i) => trace(fig, i));
    assert.equal(trainLoss?.yaxis, 'y');
    assert.equal(valLoss?.yaxis, 'y');
    assert.equal(trainAcc?.yaxis, 'y2');
    assert.equal(valAcc?.yaxis, 'y2');
    assert.equal((trainLoss!.x as number[]).length, 100);
    assert.equal((trainLoss!.x as number[])[0], 128);
    assert.equal((trainLoss!.x as number[])[99], 2000 * 128);
    assert.equal((trainLoss!.y as number[])[0], 2);
    assert.deepEqual(valLoss?.x, [12800, 25600]);
    assert.deepEqual(valLoss?.y, [1.5, 1.0]);
    assert.deepEqual(valAcc?.y, [0.5, 0.7]);
    assert.equal(fig.layout.xaxis?.anchor, 'y2');
    assert.match(String(fig.layout.xaxis?.title?.text), /examples seen/);
  });
  test('leaves out the validation loss trace when records carry only accuracy, and works on empty histories', () => {
    const fig = trainingCurvesFigure(train.slice(0, 3), [{ examplesSeen: 128, accuracy: 0.3 }]);
    assert.equal(fig.data.length, 3);
    assert.deepEqual(trace(fig, 2).y, [0.3]);
    assert.equal(trace(fig, 2).showlegend, true);
    const empty = trainingCurvesFigure([]);
    assert.equal(empty.data.length, 2);
    assert.deepEqual(trace(empty).x, []);
  });
});

describe('confusionMatrixFigure', () => {
  test('draws the counts with true classes down (0 at the top) and the accuracy in the title', () => {
    const truth = [0, 0, 1, 1];
    const pred = [0, 1, 1, 1];
    const fig = confusionMatrixFigure(truth, pred, { numClasses: 2 });
    const t = trace(fig);
    assert.deepEqual(t.z, confusionMatrix(truth, pred, 2));
    assert.deepEqual(t.x, [0, 1]);
    assert.equal(fig.layout.yaxis?.autorange, 'reversed');
    assert.match(String(fig.layout.title?.text), /3 of 4 right \(75\.0%\)/);
  });
  test('normalizes each row to fractions of its class', () => {
    const fig = confusionMatrixFigure([0, 0, 0, 0, 1], [0, 1, 1, 1, 1], { numClasses: 3, normalize: true });
    assert.deepEqual(trace(fig).z, [
      [0.25, 0.75, 0],
      [0, 1, 0],
      [0, 0, 0],
    ]);
  });
});

describe('sequenceHeatmapFigure', () => {
  test('puts time across and units down (z transposed), colour range symmetric around 0', () => {
    const states = [
      [0.1, -0.5, 0.2],
      [0.3, 0.4, -0.25],
    ]; // [steps=2][units=3]
    const fig = sequenceHeatmapFigure(states, { unitName: 'hidden unit' });
    const t = trace(fig);
    assert.deepEqual(t.z, [
      [0.1, 0.3],
      [-0.5, 0.4],
      [0.2, -0.25],
    ]);
    assert.deepEqual(t.x, [0, 1]);
    assert.equal(t.zmin, -0.5);
    assert.equal(t.zmax, 0.5);
    assert.match(String(fig.layout.yaxis?.title?.text), /hidden unit/);
  });
  test('takes a fixed range (gates in [0, 1]) and typed-array rows, and rejects ragged input', () => {
    const fig = sequenceHeatmapFigure([Float32Array.of(0, 0), Float32Array.of(0, 0)], { range: [0, 1] });
    assert.equal(trace(fig).zmin, 0);
    assert.equal(trace(fig).zmax, 1);
    assert.throws(() => sequenceHeatmapFigure([[1, 2], [3]]), /step 1 has 1/);
    assert.throws(() => sequenceHeatmapFigure([]), /at least one time step/);
  });
});

describe('stepProbabilitiesFigure', () => {
  test('draws one line per class over the time steps and names the true and final predicted class', () => {
    // 3 steps, 4 classes; the answer moves from class 0 to class 2.
    const probs = [
      [0.7, 0.1, 0.1, 0.1],
      [0.3, 0.1, 0.5, 0.1],
      [0.1, 0.0, 0.8, 0.1],
    ];
    const fig = stepProbabilitiesFigure(probs, { trueLabel: 2 });
    assert.equal(fig.data.length, 4);
    assert.deepEqual(trace(fig, 2).y, [0.1, 0.5, 0.8]);
    assert.deepEqual(trace(fig, 0).x, [0, 1, 2]);
    assert.equal(trace(fig, 2).name, '2 (true)');
    assert.ok((trace(fig, 2).line?.width ?? 0) > (trace(fig, 1).line?.width ?? 0));
    assert.match(String(fig.layout.title?.text), /true 2, final prediction 2/);
    const wrong = stepProbabilitiesFigure(probs, { trueLabel: 0 });
    assert.equal(trace(wrong, 2).name, '2 (predicted)');
    assert.notEqual(trace(wrong, 2).line?.color, trace(wrong, 0).line?.color);
    assert.throws(() => stepProbabilitiesFigure([[0.5, 0.5], [1]]), /step 1 has 1/);
  });
});
