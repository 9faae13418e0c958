/** The view a hand-written training loop uses: the chart and bar it draws, and the stop button it obeys. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Data } from 'plotly.js';
import { InterruptedError } from '../../src/interrupt';
import type { Figure, MimeBundle } from '../../src/plot';
import { trainingView } from '../../src/teach/training-view';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function outputs(): {
  figures: Figure[];
  bars: MimeBundle[];
  chart: { draw(f: Figure): void };
  bar: { update(b: MimeBundle): void };
} {
  const figures: Figure[] = [];
  const bars: MimeBundle[] = [];
  return { figures, bars, chart: { draw: (f) => figures.push(f) }, bar: { update: (b) => bars.push(b) } };
}

test('after the last step the chart holds every point and the bar is full', async () => {
  const out = outputs();
  const view = trainingView({ steps: 4, batchSize: 8, displayStep: 2, outputs: out });
  const history = [];
  for (let step = 1; step <= 4; step++) {
    view.beforeStep(step);
    history.push({ step, examplesSeen: step * 8, loss: 1 / step, accuracy: step / 4 });
    await view.afterStep(step, history, []);
  }
  view.finish();
  view.release();
  const last = out.figures[out.figures.length - 1];
  assert.deepEqual(
    (last!.data[0] as Data & { x: number[] }).x,
    [8, 16, 24, 32],
    'the last drawing has all four points',
  );
  assert.match(String(out.bars[out.bars.length - 1]?.['text/plain']), /32 \/ 32 examples \(100%\) · finished/);
});

test('the stop button (a SIGINT) ends the loop at the next step, naming it; release stops listening', async () => {
  const view = trainingView({ steps: 10, batchSize: 8, displayStep: 5, outputs: outputs() });
  const listening = process.listenerCount('SIGINT');
  await nextTurn(); // the SIGINT listener is added on the next turn (src/interrupt.ts)
  assert.equal(process.listenerCount('SIGINT'), listening + 1);
  view.beforeStep(1);
  await view.afterStep(1, [], []);
  process.emit('SIGINT');
  assert.throws(
    () => view.beforeStep(2),
    (err: unknown) => err instanceof InterruptedError && err.step === 1 && err.steps === 10,
  );
  view.release();
  assert.equal(process.listenerCount('SIGINT'), listening);
});
