import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../src/backend';
import { DataSet, type Datasets } from '../../src/data';
import { courseModel } from '../../src/teach/course-model';

let work: string;
before(async () => {
  await setupBackend({ backend: 'cpu' });
  work = mkdtempSync(path.join(tmpdir(), 'rnn-course-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

/** The bright row (label * 2 + 3) gives the label away. */
function toySet(n: number, seed: number): DataSet {
  const images = new Float32Array(n * 784);
  const labels = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const label = (k * 7 + seed) % 10;
    labels[k] = label;
    for (let c = 0; c < 28; c++) images[k * 784 + (label * 2 + 3) * 28 + c] = 1;
  }
  return new DataSet(images, labels, { seed });
}
const toyData = (): Datasets => ({
  train: toySet(64, 1),
  validation: toySet(10, 2),
  test: toySet(20, 3),
  source: 'bundled',
  description: 'toy',
});

test('courseModel trains and saves once, then loads the same model; other settings train afresh', async () => {
  const dir = path.join(work, 'model');
  const settings = { dir, units: 6, learningRate: 0.01, batchSize: 16, trainingIters: 5 * 16, seed: 3 }; // 4 steps
  const probe = toyData().test.slice(0, 8);
  const first = await courseModel(toyData(), settings);
  assert.equal(first.trainedNow, true);
  assert.ok(first.trainSeconds > 0);
  assert.deepEqual(readdirSync(dir).sort(), ['model.json', 'weights.bin']);
  const again = await courseModel(toyData(), settings);
  assert.equal(again.trainedNow, false);
  assert.equal(again.trainSeconds, first.trainSeconds);
  const [a, b] = [first, again].map((m) => Array.from(tf.tidy(() => m.classifier.predict(probe.xs)).dataSync()));
  assert.deepEqual(b, a, "the loaded model computes the trained one's logits");
  const other = await courseModel(toyData(), { ...settings, trainingIters: 6 * 16 });
  assert.equal(other.trainedNow, true);
  const reloaded = await courseModel(toyData(), { ...settings, trainingIters: 6 * 16 });
  assert.equal(reloaded.trainedNow, false);
  for (const m of [first, again, other, reloaded]) m.classifier.dispose();
  tf.dispose([probe.xs, probe.ys]);
});
