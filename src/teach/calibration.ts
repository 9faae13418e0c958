/**
 * Calibration: does a confidence of 0.9 mean right 9 times in 10? The answers are grouped by
 * confidence into equal-width bins; in each, the mean confidence is set against the fraction
 * that were right (a reliability diagram), and the expected calibration error (ECE) is the
 * average gap, weighted by how many answers each bin holds. Notebook 10 (predictions) draws it.
 */

/** One confidence bin of `calibrationBins`. */
export interface CalibrationBin {
  /** Confidences in [lower, upper) fall in this bin (the last bin includes 1). */
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  /** Mean confidence of the answers in the bin; NaN when the bin is empty. */
  readonly meanConfidence: number;
  /** Fraction of them that were right; NaN when the bin is empty. */
  readonly accuracy: number;
}

/** The bins and the expected calibration error. */
export interface Calibration {
  readonly bins: CalibrationBin[];
  /** Σ_bins (count / n) · |accuracy − meanConfidence|: 0 for perfect calibration. */
  readonly ece: number;
}

/**
 * Groups answers by confidence into `bins` equal-width bins over [0, 1]. `confidence[n]` is the
 * probability the model gave its answer n; `correct[n]` whether that answer was right.
 */
export function calibrationBins(confidence: ArrayLike<number>, correct: ArrayLike<boolean>, bins = 10): Calibration {
  if (confidence.length !== correct.length)
    throw new Error(`calibrationBins: ${confidence.length} confidences but ${correct.length} correct flags`);
  if (confidence.length === 0) throw new Error('calibrationBins: no answers');
  if (!Number.isInteger(bins) || bins < 1)
    throw new Error(`calibrationBins: bins must be a positive integer, got ${bins}`);
  const count = new Array<number>(bins).fill(0);
  const sumConfidence = new Array<number>(bins).fill(0);
  const right = new Array<number>(bins).fill(0);
  for (let n = 0; n < confidence.length; n++) {
    const c = confidence[n] as number;
    if (!(c >= 0 && c <= 1)) throw new Error(`calibrationBins: confidence[${n}] = ${c} is not in [0, 1]`);
    const b = Math.min(bins - 1, Math.floor(c * bins));
    count[b] = (count[b] as number) + 1;
    sumConfidence[b] = (sumConfidence[b] as number) + c;
    if (correct[n]) right[b] = (right[b] as number) + 1;
  }
  const result = count.map(
    (k, b): CalibrationBin => ({
      lower: b / bins,
      upper: (b + 1) / bins,
      count: k,
      meanConfidence: k === 0 ? NaN : (sumConfidence[b] as number) / k,
      accuracy: k === 0 ? NaN : (right[b] as number) / k,
    }),
  );
  const ece = result.reduce(
    (s, bin) =>
      bin.count === 0 ? s : s + (bin.count / confidence.length) * Math.abs(bin.accuracy - bin.meanConfidence),
    0,
  );
  return { bins: result, ece };
}
