import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TrainCurvePoint } from '../../src/plot/curves';
import type { Figure } from '../../src/plot/style';
import { progressText } from '../../src/format';
import { createLiveChart, createProgressBar, progressBundle } from '../../src/plot/live';
import type { MimeBundle } from '../../src/plot/render';

/** A clock the test moves by hand. */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function record(i: number): TrainCurvePoint {
  return { examplesSeen: (i + 1) * 128, loss: 1 / (i + 1), accuracy: i / 100 };
}

describe('createLiveChart', () => {
  test('draws the first update at once, then at most once per throttleMs, and the last one on close', () => {
    const clock = fakeClock();
    const drawn: Figure[] = [];
    const live = createLiveChart({ throttleMs: 500, now: clock.now, output: { draw: (f) => drawn.push(f) } });
    const history: TrainCurvePoint[] = [];
    for (let i = 0; i < 10; i++) {
      history.push(record(i));
      live.update(history);
      clock.advance(100);
    }
    // Drawn at t = 0 (1 record) and t = 500 (6 records); the rest waits for close.
    assert.equal(drawn.length, 2);
    assert.equal((drawn[0]!.data[0] as { x: number[] }).x.length, 1);
    assert.equal((drawn[1]!.data[0] as { x: number[] }).x.length, 6);
    live.close();
    assert.equal(drawn.length, 3);
    assert.equal((drawn[2]!.data[0] as { x: number[] }).x.length, 10);
    live.close();
    assert.equal(drawn.length, 3, 'a second close draws nothing');
    assert.throws(() => live.update(history), /update\(\) after close\(\)/);
  });
  test('passes validation records and curve options through, and close without updates draws nothing', () => {
    const drawn: Figure[] = [];
    const live = createLiveChart({ title: 'Seed run', maxPoints: 2, output: { draw: (f) => drawn.push(f) } });
    live.update([record(0), record(1), record(2)], [{ examplesSeen: 256, accuracy: 0.5, loss: 1.2 }]);
    assert.equal(drawn.length, 1);
    assert.equal(drawn[0]!.data.length, 4);
    assert.equal((drawn[0]!.data[0] as { x: number[] }).x.length, 2);
    assert.equal(drawn[0]?.layout.title?.text, 'Seed run');
    live.close();
    assert.equal(drawn.length, 1, 'nothing was pending');
    const idle = createLiveChart({ output: { draw: (f) => drawn.push(f) } });
    idle.close();
    assert.equal(drawn.length, 1);
  });
});

describe('createLiveChart in a kernel', () => {
  type Message = { data: Record<string, unknown>; transient: { display_id?: string } };
  const jupyter = require('tslab/dist/jupyter') as {
    lastWriteDisplayData: ((m: Message, update: boolean) => void) | null;
  };
  test('redraws one output as HTML only: the jupyterlab-plotly extension would not redraw plotly JSON', (t) => {
    const sent: { message: Message; update: boolean }[] = [];
    jupyter.lastWriteDisplayData = (message, update) => sent.push({ message, update });
    t.after(() => (jupyter.lastWriteDisplayData = null));
    const clock = fakeClock();
    const live = createLiveChart({ throttleMs: 0, now: clock.now });
    live.update([record(0)]);
    live.update([record(0), record(1)]);
    live.close();
    const charts = sent.filter((s) => String(s.message.data['text/html']).includes('class="rnn-plot"'));
    assert.equal(charts.length, 2);
    assert.deepEqual(
      charts.map((c) => c.update),
      [false, true],
    );
    assert.equal(charts[0]?.message.transient.display_id, charts[1]?.message.transient.display_id);
    for (const c of charts) assert.deepEqual(Object.keys(c.message.data).sort(), ['text/html', 'text/plain']);
    const json = createLiveChart({ throttleMs: 0, now: clock.now, show: { plotlyJson: true } });
    json.update([record(0)]);
    assert.ok(
      'application/vnd.plotly.v1+json' in (sent.at(-1)?.message.data ?? {}),
      'show.plotlyJson: true still asks for it',
    );
  });
});

describe('createProgressBar', () => {
  test('updates one output, throttled, always at the end and on done', () => {
    const clock = fakeClock();
    const sent: MimeBundle[] = [];
    const bar = createProgressBar({
      total: 1000,
      throttleMs: 500,
      now: clock.now,
      output: { update: (b) => sent.push(b) },
    });
    for (let seen = 100; seen <= 1000; seen += 100) {
      clock.advance(200);
      bar.update(seen);
    }
    // At 200 ms (first), 800 ms, 1400 ms and 2000 ms (the total reached).
    assert.deepEqual(
      sent.map((b) => /^\S+ (\S+)/.exec(String(b['text/plain']))?.[1]),
      ['100', '400', '700', '1,000'],
    );
    bar.done();
    assert.equal(sent.length, 5);
    assert.match(String(sent[4]?.['text/plain']), /finished in 0:02/);
    bar.done();
    assert.equal(sent.length, 5);
    assert.throws(() => bar.update(1), /after done/);
  });
  test('rejects a total that is not a number >= 0', () => {
    assert.throws(
      () => createProgressBar({ total: Number.NaN, output: { update: () => undefined } }),
      /total.*got NaN/,
    );
  });
});

test('the progress output is an HTML progress element and the text bar', () => {
  const state = { examplesSeen: 5, total: 10, elapsedMs: 1000 };
  const b = progressBundle(state);
  assert.match(b['text/html'], /<progress value="5" max="10"/);
  assert.equal(b['text/plain'], progressText(state));
});
