/**
 * Number formatting that matches the tutorial's Python output to the digit: `"{:.6f}".format(x)`
 * rounds the exact binary value half to even, while JavaScript's `toFixed` rounds ties up
 * (125/128 = 0.9765625 prints as 0.976562 in Python and 0.976563 with toFixed).
 */

/** `x` with `digits` decimals, rounded like Python's `'{:.Nf}'.format(x)`. */
export function formatFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  if (!Number.isInteger(digits) || digits < 0 || digits > 20)
    throw new Error(`formatFixed: digits must be an integer in 0..20, got ${digits}`);
  // toFixed(100) spells out the double's exact decimal value (exact for 2^-48 <= |x| < 1e21, the
  // range of losses and accuracies), so the tie test below sees the true digits.
  const exact = Math.abs(x).toFixed(100);
  const [intPart = '0', frac = ''] = exact.split('.');
  const kept = frac.slice(0, digits);
  const rest = frac.slice(digits);
  let digitsStr = intPart + kept;
  const first = rest.charAt(0);
  const tail = rest.slice(1);
  const last = Number(digitsStr.charAt(digitsStr.length - 1));
  const roundUp = first > '5' || (first === '5' && (/[1-9]/.test(tail) || last % 2 === 1));
  if (roundUp) digitsStr = incrementDecimalString(digitsStr);
  const intLen = digitsStr.length - digits;
  const body = digits > 0 ? `${digitsStr.slice(0, intLen)}.${digitsStr.slice(intLen)}` : digitsStr;
  const negative = x < 0 || Object.is(x, -0);
  return negative ? `-${body}` : body;
}

function incrementDecimalString(s: string): string {
  const chars = s.split('');
  for (let k = chars.length - 1; k >= 0; k--) {
    if (chars[k] === '9') {
      chars[k] = '0';
    } else {
      chars[k] = String(Number(chars[k]) + 1);
      return chars.join('');
    }
  }
  return `1${chars.join('')}`;
}

/** The tutorial's display line: `Iter 1280, Minibatch Loss= 1.538532, Training Accuracy= 0.49219`. */
export function formatIterLine(examplesSeen: number, loss: number, accuracy: number): string {
  return `Iter ${examplesSeen}, Minibatch Loss= ${formatFixed(loss, 6)}, Training Accuracy= ${formatFixed(accuracy, 5)}`;
}

/** The tutorial's last line: `Testing Accuracy: 0.976562` (numpy float32 printed with 6 decimals). */
export function formatTestingLine(accuracy: number): string {
  return `Testing Accuracy: ${formatFixed(accuracy, 6)}`;
}

const SHADES = ' .:-=+*#%@';

/**
 * A 28 x 28 digit (784 values in [0, 1], row by row) as 28 lines of text, darkest pixels as `@`,
 * each line prefixed with its row number: the time step at which the LSTM reads it.
 */
export function digitToText(pixels: ArrayLike<number>, size = 28): string {
  if (pixels.length !== size * size)
    throw new Error(`digitToText: expected ${size * size} pixels (${size} x ${size}), got ${pixels.length}`);
  const lines: string[] = [];
  for (let row = 0; row < size; row++) {
    let line = `t=${String(row).padStart(2, '0')} |`;
    for (let col = 0; col < size; col++) {
      const v = Math.min(1, Math.max(0, pixels[row * size + col] ?? 0));
      line += SHADES.charAt(Math.min(SHADES.length - 1, Math.floor(v * SHADES.length)));
    }
    lines.push(`${line}|`);
  }
  return lines.join('\n');
}

/** `ms` as m:ss, or h:mm:ss from an hour on. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Where a run stands, for `progressLine`. */
export interface ProgressState {
  readonly examplesSeen: number;
  readonly total: number;
  readonly elapsedMs: number;
  /** True once training has ended (shows the total time instead of an ETA). */
  readonly finished?: boolean;
}

/** `12,800 / 60,000 examples (21%) · 0:42 elapsed · ETA 2:31`; the ETA assumes the rate so far holds. */
export function progressLine(state: ProgressState, label = 'examples'): string {
  const { examplesSeen, total, elapsedMs } = state;
  const percent = total > 0 ? Math.floor((100 * Math.min(examplesSeen, total)) / total) : 100;
  const counts = `${examplesSeen.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} ${label} (${percent}%)`;
  if (state.finished === true) return `${counts} · finished in ${formatDuration(elapsedMs)}`;
  const eta = examplesSeen > 0 ? formatDuration((elapsedMs * Math.max(0, total - examplesSeen)) / examplesSeen) : '?';
  return `${counts} · ${formatDuration(elapsedMs)} elapsed · ETA ${eta}`;
}

/** The progress bar as text, `[#########.....................] 12,800 / 60,000 examples (21%) · ...`: the CLI's, and the notebook's for text front-ends. */
export function progressText(state: ProgressState, label = 'examples'): string {
  const width = 30;
  const value = Math.min(state.examplesSeen, state.total);
  const filled = state.total > 0 ? Math.round((width * value) / state.total) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${progressLine(state, label)}`;
}

/** A table: header names and rows of cells, all strings. */
export interface TextTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** Columns aligned with two spaces between them; numbers (cells that look numeric) right-aligned. */
export function formatTable(table: TextTable): string {
  const all = [table.header, ...table.rows];
  const widths = table.header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? '').length)));
  const numeric = table.header.map(
    (_, c) => table.rows.length > 0 && table.rows.every((row) => /^[-+]?[\d.,]+%?$|^-$|^NaN$/.test(row[c] ?? '')),
  );
  const line = (row: readonly string[]): string =>
    row
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(table.header), ...table.rows.map(line)].join('\n');
}
