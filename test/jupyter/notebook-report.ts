/**
 * Reading what test/jupyter/notebook_runner.py reports about an executed notebook: the failures
 * worth showing (stderr, which is how tslab reports compile and runtime errors with the line and
 * column in the cell; cells tslab aborted unrun), the expectations cells declare in their
 * metadata, and the reference ranges of the full mode.
 *
 * - `rnn_expect: ["regex", ...]`: every regex matches the cell's text output (both modes).
 * - `rnn_expect_full: [{ re, min, max, stated }, ...]`: in full mode (the notebooks at their real
 *   budgets), the first capture of `re` in the output, read as a number, lies in [min, max].
 *   `stated` is how the range is written in the notebook's prose: `statedRangeProblems` checks
 *   that it stands in a markdown cell above the declaring cell (back to the section heading)
 *   and names both bounds, so prose and check cannot drift apart.
 */

/** A reference range a cell's output must fall in when the notebook runs at full budget. */
export interface FullExpectation {
  readonly re: string;
  readonly min: number;
  readonly max: number;
  readonly stated: string;
}

export interface CellMetadata {
  readonly rnn_expect?: readonly string[];
  readonly rnn_expect_full?: readonly FullExpectation[];
}

export interface CellReport {
  readonly index: number;
  readonly source: string;
  readonly metadata: CellMetadata;
  readonly outputs: readonly string[];
  readonly stderr: readonly string[];
  /** The kernel's execute_reply status: ok, error, or abort (tslab dropped the cell unrun). */
  readonly status?: string | null;
}

export interface Report {
  readonly cells: readonly CellReport[];
  readonly probes: readonly string[];
}

/** One line per failed cell: its stderr (tslab's `line:column - message`), or why it did not run. */
export function cellFailures(report: Report): string[] {
  const failures: string[] = [];
  let lastError: number | undefined;
  for (const c of report.cells) {
    const stderr = c.stderr.join('').trim();
    if (stderr !== '') {
      failures.push(`cell ${c.index}: ${stderr.slice(0, 1500)}`);
      lastError = c.index;
    } else if (c.status === 'abort') {
      const after = lastError === undefined ? '' : ` after the error in cell ${lastError}`;
      failures.push(
        `cell ${c.index}: not run: tslab aborted it${after} (it drops every request that arrives within 200 ms of an error), so it has no output`,
      );
    } else if (c.status === 'error') {
      failures.push(`cell ${c.index}: the kernel reported an error with no message`);
      lastError = c.index;
    }
  }
  return failures;
}

/** The `rnn_expect` regexes a cell's output does not match. */
export function unmetExpectations(cell: CellReport): string[] {
  const text = cell.outputs.join('\n'); // outputs apart, so ^ and $ see each one's lines
  return (cell.metadata.rnn_expect ?? [])
    .filter((re) => !new RegExp(re, 'm').test(text))
    .map((re) => `cell ${cell.index} output does not match /${re}/; it was:\n${text.slice(0, 1500)}`);
}

/** The `rnn_expect_full` ranges a cell's output misses (full mode only). */
export function unmetRanges(cell: CellReport): string[] {
  const text = cell.outputs.join('\n');
  return (cell.metadata.rnn_expect_full ?? []).flatMap((e) => {
    const m = new RegExp(e.re, 'm').exec(text);
    const value = Number(m?.[1]);
    if (m === null || !Number.isFinite(value))
      return [`cell ${cell.index}: no number for /${e.re}/ in its output:\n${text.slice(0, 1000)}`];
    return value >= e.min && value <= e.max
      ? []
      : [`cell ${cell.index}: ${value} is outside the range the notebook states, ${e.stated} (/${e.re}/)`];
  });
}

/** A notebook's cells as stored: markdown and code, with their sources joined. */
export interface StoredCell {
  readonly cell_type: string;
  readonly source: string | readonly string[];
  readonly metadata?: CellMetadata;
}

/** Where a declared range and the prose that states it disagree: `stated` missing above the cell, or not naming both bounds. */
export function statedRangeProblems(cells: readonly StoredCell[]): string[] {
  const text = (c: StoredCell): string => (typeof c.source === 'string' ? c.source : c.source.join(''));
  const problems: string[] = [];
  cells.forEach((cell, index) => {
    for (const e of cell.metadata?.rnn_expect_full ?? []) {
      const where = `cell ${index} /${e.re}/`;
      if (!(e.min <= e.max)) problems.push(`${where}: min ${e.min} is above max ${e.max}`);
      for (const bound of [e.min, e.max]) {
        if (!e.stated.includes(String(bound)))
          problems.push(`${where}: the stated range "${e.stated}" does not name ${bound}`);
      }
      let found = false;
      for (let k = index - 1; k >= 0 && !found; k--) {
        const above = cells[k] as StoredCell;
        if (above.cell_type !== 'markdown') continue;
        if (text(above).includes(e.stated)) found = true;
        else if (/^#{1,6} /m.test(text(above))) break;
      }
      if (!found)
        problems.push(`${where}: "${e.stated}" is not written in the markdown above it (back to its heading)`);
    }
  });
  return problems;
}
