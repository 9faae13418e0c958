/**
 * `npm run student-copies` (scripts/student-copies.ts): the copies a teacher hands out keep every
 * question and hint, keep no answer, and still run top to bottom through tslab from a folder at
 * another depth than notebooks/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findPython } from '../../scripts/jupyter-env';
import { answersLeft, writeStudentCopies } from '../../scripts/student-copies';
import { cellFailures, type Report } from './notebook-report';

const root = path.resolve(__dirname, '..', '..');
const notebooksDir = path.join(root, 'notebooks');
const names = readdirSync(notebooksDir)
  .filter((f) => f.endsWith('.ipynb'))
  .sort();

interface StoredCell {
  [key: string]: unknown;
  cell_type: string;
  source: string[];
  metadata: Record<string, unknown>;
}
const read = (file: string): { cells: StoredCell[] } =>
  JSON.parse(readFileSync(file, 'utf8')) as { cells: StoredCell[] };
const text = (c: StoredCell): string => c.source.join('');
const count = (cells: StoredCell[], re: RegExp): number =>
  cells.reduce((n, c) => n + (text(c).match(re)?.length ?? 0), 0);

test('every copy keeps its questions and hints, and no answer: no Answer block, no answer code, no expectation on an emptied cell', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'rnn-student-'));
  try {
    writeStudentCopies(
      names.map((n) => path.join(notebooksDir, n)),
      out,
    );
    let answerCells = 0;
    for (const name of names) {
      const original = read(path.join(notebooksDir, name)).cells;
      const copy = read(path.join(out, name)).cells;
      assert.equal(copy.length, original.length, name);
      assert.ok(count(original, /<summary>Answer<\/summary>/g) > 0, `${name} has no answers to remove`);
      assert.deepEqual(answersLeft({ cells: copy }), [], name);
      assert.equal(
        count(copy, /<summary>Hint<\/summary>/g),
        count(original, /<summary>Hint<\/summary>/g),
        `${name}: a hint went missing`,
      );
      assert.equal(
        count(copy, /\*\*Exercise \d+\.\*\*/g),
        count(original, /\*\*Exercise \d+\.\*\*/g),
        `${name}: a question went missing`,
      );
      original.forEach((cell, k) => {
        const copied = copy[k] as StoredCell;
        assert.equal(copied.cell_type, cell.cell_type);
        if (cell.cell_type === 'code' && text(cell).startsWith('// Answer to exercise')) {
          answerCells += 1;
          // Every line of the answer's own code (not also written in a cell that stays) is gone from the whole copy.
          const all = copy.map(text).join('\n');
          const staying = original
            .filter((c) => !text(c).startsWith('// Answer to exercise'))
            .map(text)
            .join('\n');
          for (const line of text(cell)
            .split('\n')
            .map((l) => l.trim())
            .filter((l) => l.length > 30 && !l.startsWith('//') && !staying.includes(l))) {
            assert.ok(!all.includes(line), `${name} cell ${k}: the answer's line survives: ${line}`);
          }
        } else if (cell.cell_type === 'code') {
          // The one change allowed: the import of the helper module, rewritten for the copy's folder.
          const dist = text(copied).replace(/from '[^']*dist'/g, "from '../dist'");
          assert.equal(dist, text(cell), `${name} cell ${k}: a cell that is not an answer changed`);
          assert.deepEqual(copied.metadata, cell.metadata);
        } else {
          // Markdown: what is outside the Answer blocks is kept word for word.
          const outside = (s: string): string =>
            s.replace(/<details><summary>Answer<\/summary>[\s\S]*?<\/details>/g, '');
          const kept = outside(text(copied))
            .replace(/\*\(Answer: yours to work out; your teacher has it\.\)\*/g, '')
            .replace(/\]\((?:\.\.\/)+(?:[^/)]+\/)*?(src|docs|notebooks|scripts|test)\//g, '](../$1/');
          assert.equal(kept, outside(text(cell)), `${name} cell ${k}`);
        }
      });
    }
    assert.ok(answerCells >= 20, `only ${answerCells} answer cells found: has their marker changed?`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a folder at another depth gets an import and links that reach the project; a file in the way is refused and kept', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'rnn-student-depth-'));
  try {
    const out = path.join(root, 'test-artifacts', 'student-depth', 'class-a');
    const [written] = writeStudentCopies([path.join(notebooksDir, '05-plain-rnn-bptt.ipynb')], out);
    const cells = read(written as string).cells;
    const imports = cells.flatMap((c) => [...text(c).matchAll(/from '([^']*dist)'/g)].map((m) => m[1] as string));
    assert.ok(imports.length > 0);
    for (const spec of imports)
      assert.ok(
        existsSync(path.resolve(out, spec, 'index.js')) || existsSync(path.resolve(out, spec)),
        `${spec} does not reach dist/ from ${out}`,
      );
    const links = cells
      .filter((c) => c.cell_type === 'markdown')
      .flatMap((c) => [...text(c).matchAll(/\]\(((?:\.\.\/)+[^)#]+)\)/g)].map((m) => m[1] as string));
    assert.ok(links.length > 0, 'notebook 5 links into src/');
    for (const link of links) assert.ok(existsSync(path.resolve(out, link)), `link ${link} is broken from ${out}`);

    const blocker = path.join(scratch, 'taken');
    writeFileSync(blocker, 'notes');
    assert.throws(
      () => writeStudentCopies([path.join(notebooksDir, '05-plain-rnn-bptt.ipynb')], blocker),
      /is a file, not a folder/,
    );
    assert.equal(readFileSync(blocker, 'utf8'), 'notes');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    rmSync(path.join(root, 'test-artifacts', 'student-depth'), { recursive: true, force: true });
  }
});

test('the command refuses notebooks/ itself and an unknown flag, with one line and exit 2', () => {
  for (const [args, message] of [
    [['--out', notebooksDir], /^student-copies: .*notebooks holds the notebooks themselves; choose another folder$/],
    [['--answers'], /^student-copies: unknown option --answers/],
  ] as const) {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'scripts', 'student-copies.ts'), ...args],
      { cwd: root, encoding: 'utf8' },
    );
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr.trim(), message);
  }
});

// Three copies run through the real kernel: 01 and 05 have answer cells between the cells that
// follow, 07 has five, and the course's later cells must not need what an answer cell defined.
const found = findPython((p) => p.packages.nbclient !== null && p.packages.nbformat !== null);
for (const name of ['01-concepts.ipynb', '05-plain-rnn-bptt.ipynb', '07-lstm-cell.ipynb']) {
  test(`the student copy of ${name} runs top to bottom through tslab`, { timeout: 15 * 60_000 }, (t) => {
    if (!found.python) {
      if (process.env.CI || process.env.RNN_PYTHON) assert.fail(`no Python with nbclient: ${found.error}`);
      t.skip(`no Python with nbclient (${found.error})`);
      return;
    }
    const out = path.join(root, 'test-artifacts', 'student-run', name.replace(/\.ipynb$/, ''));
    const dir = mkdtempSync(path.join(tmpdir(), 'rnn-student-run-'));
    try {
      mkdirSync(out, { recursive: true });
      const [copy] = writeStudentCopies([path.join(notebooksDir, name)], out);
      const reportPath = path.join(dir, 'report.json');
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        JUPYTER_PATH: path.join(root, '.jupyter', 'share', 'jupyter'),
        RNN_CACHE_DIR: path.join(dir, 'cache'),
        TMPDIR: dir,
        RNN_SMOKE: '1',
        RNN_BACKEND: 'wasm',
      };
      const run = spawnSync(
        found.python,
        [path.join(__dirname, 'notebook_runner.py'), copy as string, reportPath, '--passes', '1', '--timeout', '900'],
        { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      );
      assert.equal(run.status, 0, `nbclient failed on the copy of ${name}:\n${run.stderr.slice(-3000)}`);
      const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
      assert.deepEqual(cellFailures(report), [], `the copy of ${name}: cells failed`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  });
}
