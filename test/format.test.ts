import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  digitToText,
  formatDuration,
  formatFixed,
  formatIterLine,
  formatTestingLine,
  progressLine,
  progressText,
} from '../src/format';

// Expected strings are what CPython prints for '{:.Nf}'.format(x) (round half to even on the exact binary value).
test('formatFixed rounds like Python, including exact binary ties', () => {
  const cases: [number, number, string][] = [
    [125 / 128, 6, '0.976562'], // the seed's recorded Testing Accuracy
    [123 / 128, 6, '0.960938'], // the other recorded run
    [63 / 128, 5, '0.49219'], // 0.4921875: not a tie at 5 decimals
    [0.5, 0, '0'],
    [1.5, 0, '2'],
    [2.5, 0, '2'],
    [0.125, 2, '0.12'],
    [0.375, 2, '0.38'],
    [1.538532, 6, '1.538532'],
    [0.1, 20, '0.10000000000000000555'],
    [9.9999995, 6, '9.999999'], // below the tie in binary
    [9.9999996, 6, '10.000000'], // the carry runs into the integer part,
    [-0.25, 1, '-0.2'],
    [0, 3, '0.000'],
    [1, 5, '1.00000'],
  ];
  for (const [x, digits, expected] of cases) {
    assert.equal(formatFixed(x, digits), expected, `formatFixed(${x}, ${digits})`);
  }
});

test('formatFixed agrees with toFixed wherever there is no tie', () => {
  let state = 12345;
  for (let k = 0; k < 2000; k++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const x = (state / 2147483648) * 10;
    const d = k % 7;
    const scaled = x * 10 ** d;
    if (Math.abs(scaled - Math.floor(scaled) - 0.5) < 1e-6) continue;
    assert.equal(formatFixed(x, d), x.toFixed(d), `x=${x} digits=${d}`);
  }
});

test('formatFixed rejects a bad digit count', () => {
  assert.throws(() => formatFixed(1, -1), /digits must be an integer/);
});

test('the seed log lines have its exact shape', () => {
  assert.equal(
    formatIterLine(1280, 1.538532, 63 / 128),
    'Iter 1280, Minibatch Loss= 1.538532, Training Accuracy= 0.49219',
  );
  assert.equal(formatTestingLine(125 / 128), 'Testing Accuracy: 0.976562');
});

test('digitToText draws one line per row (time step) with shades by intensity', () => {
  const pixels = new Float32Array(784);
  pixels[3 * 28 + 5] = 1; // row 3, column 5: darkest
  pixels[10 * 28 + 0] = 0.35; // row 10, column 0: a middle shade
  const lines = digitToText(pixels).split('\n');
  assert.equal(lines.length, 28);
  assert.equal(lines[0], `t=00 |${' '.repeat(28)}|`);
  assert.equal(lines[3], `t=03 |${' '.repeat(5)}@${' '.repeat(22)}|`);
  assert.equal(lines[10]!.charAt(6), '-'); // floor(0.35 * 10) = 3 -> ' .:-'[3]
  assert.throws(() => digitToText(new Float32Array(10)), /expected 784 pixels \(28 x 28\), got 10/);
});

describe('formatDuration, progressLine and progressText', () => {
  test('formats m:ss and h:mm:ss', () => {
    assert.equal(formatDuration(0), '0:00');
    assert.equal(formatDuration(42_400), '0:42');
    assert.equal(formatDuration(151_000), '2:31');
    assert.equal(formatDuration(3_723_000), '1:02:03');
    assert.equal(formatDuration(-5), '0:00');
  });
  test('shows counts, percent, elapsed and an ETA from the rate so far', () => {
    // 12,800 of 60,000 in 40 s: 47,200 left at 320 per second is 147.5 s.
    assert.equal(
      progressLine({ examplesSeen: 12_800, total: 60_000, elapsedMs: 40_000 }),
      '12,800 / 60,000 examples (21%) · 0:40 elapsed · ETA 2:28',
    );
    assert.equal(
      progressLine({ examplesSeen: 0, total: 10, elapsedMs: 0 }, 'steps'),
      '0 / 10 steps (0%) · 0:00 elapsed · ETA ?',
    );
    assert.equal(
      progressLine({ examplesSeen: 10, total: 10, elapsedMs: 61_000, finished: true }),
      '10 / 10 examples (100%) · finished in 1:01',
    );
  });
  test('progressText is a 30-character bar filled in proportion, then the line', () => {
    assert.equal(
      progressText({ examplesSeen: 5, total: 10, elapsedMs: 1000 }),
      `[${'#'.repeat(15)}${'.'.repeat(15)}] 5 / 10 examples (50%) · 0:01 elapsed · ETA 0:01`,
    );
    assert.equal(
      progressText({ examplesSeen: 0, total: 0, elapsedMs: 0 }),
      `[${'#'.repeat(30)}] 0 / 0 examples (100%) · 0:00 elapsed · ETA ?`,
    );
  });
});
