/**
 * `npm run student-copies`: writes the notebooks a teacher hands out, with every answer removed
 * and every hint kept.
 *
 *   npm run student-copies -- [--out DIR] [notebook.ipynb ...]
 *
 * What goes:
 *  - every `<details><summary>Answer</summary> ... </details>` block in the markdown (the
 *    exercises' answers and the "predict before you run" answers in the body), replaced by a
 *    line saying the answer is left to the student;
 *  - every answer cell (a code cell whose first line is `// Answer to exercise N...`), whose code
 *    is replaced by a comment, so the student writes it; its output expectations go with it.
 * Everything else, hints included, stays as it is, with outputs cleared.
 *
 * The copies import the helper module as the notebooks do (`'../dist'`); written to a folder at
 * another depth, the import and the links into the project are rewritten to reach the same
 * files. The default folder, student-notebooks/ beside notebooks/, needs no rewriting: a teacher
 * hands out the project with notebooks/ replaced by it. Each copy is written whole (a temporary
 * file, then a rename); files in DIR that are not copies of a notebook are left alone.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';

const ROOT = resolve(__dirname, '..');
const NOTEBOOKS = join(ROOT, 'notebooks');

/** One cell of an .ipynb file, as far as this script reads it. */
interface Cell {
  cell_type: string;
  source: string | string[];
  metadata?: Record<string, unknown>;
  outputs?: unknown[];
  execution_count?: number | null;
  [key: string]: unknown;
}

/** An .ipynb file: the cells, and whatever else it holds (kept as it is). */
interface Notebook {
  cells: Cell[];
  [key: string]: unknown;
}

const ANSWER_BLOCK = /<details><summary>Answer<\/summary>[\s\S]*?<\/details>/g;
const ANSWER_CELL = /^\/\/ Answer to exercise (\d+)/;
const LEFT_TO_STUDENT = '*(Answer: yours to work out; your teacher has it.)*';

function text(cell: Cell): string {
  return typeof cell.source === 'string' ? cell.source : cell.source.join('');
}

/** Jupyter's stored form: one string per line, each but the last ending in "\n". */
function lines(source: string): string[] {
  return source.split(/(?<=\n)/).filter((line) => line !== '');
}

/** What a student copy of `notebook` holds (see the file comment); `importPath` replaces '../dist'. */
export function studentCopy(notebook: Notebook, importPath = '../dist', projectPath = '..'): Notebook {
  const cells = notebook.cells.map((cell): Cell => {
    let source = text(cell);
    const metadata = { ...(cell.metadata ?? {}) };
    if (cell.cell_type === 'markdown') {
      source = source.replace(ANSWER_BLOCK, LEFT_TO_STUDENT);
    } else if (cell.cell_type === 'code') {
      const answer = ANSWER_CELL.exec(source);
      if (answer) {
        source = `// Exercise ${answer[1]}: your answer here.\n`;
        delete metadata['rnn_expect'];
        delete metadata['rnn_expect_full'];
      }
      source = source.replaceAll("from '../dist'", `from '${importPath}'`);
    }
    if (projectPath !== '..') source = source.replace(/\]\(\.\.\//g, `](${projectPath}/`);
    const copy: Cell = { ...cell, metadata, source: lines(source) };
    if (cell.cell_type === 'code') {
      copy.outputs = [];
      copy.execution_count = null;
    }
    return copy;
  });
  return { ...notebook, cells };
}

/** What of an answer is left in a copy: answer blocks, answer cells, their expectations. Empty when none. */
export function answersLeft(notebook: Notebook): string[] {
  return notebook.cells.flatMap((cell, index) => {
    const source = text(cell);
    const found: string[] = [];
    if (/<summary>Answer<\/summary>/.test(source)) found.push(`cell ${index}: an Answer block`);
    if (ANSWER_CELL.test(source)) found.push(`cell ${index}: an answer cell`);
    if (
      cell.cell_type === 'code' &&
      /^\/\/ Exercise \d+: your answer here/.test(source) &&
      (cell.metadata?.['rnn_expect'] ?? cell.metadata?.['rnn_expect_full'])
    ) {
      found.push(`cell ${index}: an emptied answer cell still expects output`);
    }
    return found;
  });
}

/** Writes the student copies of `sources` into `out`; returns the files written. */
export function writeStudentCopies(sources: readonly string[], out: string): string[] {
  if (existsSync(out) && !statSync(out).isDirectory()) throw new Error(`${out} is a file, not a folder`);
  mkdirSync(out, { recursive: true });
  const toPosix = (p: string): string => p.split(sep).join('/');
  const fromOut = (target: string): string => {
    const rel = toPosix(relative(out, target));
    return rel.startsWith('.') ? rel : `./${rel}`;
  };
  const importPath = fromOut(join(ROOT, 'dist'));
  const projectPath = toPosix(relative(out, ROOT)) || '.';
  return sources.map((source) => {
    let notebook: Notebook;
    try {
      notebook = JSON.parse(readFileSync(source, 'utf8')) as Notebook;
    } catch (e) {
      throw new Error(`${source}: not a readable notebook (${e instanceof Error ? e.message : String(e)})`);
    }
    if (!Array.isArray(notebook.cells)) throw new Error(`${source}: not a notebook (no cells)`);
    const target = join(out, basename(source));
    const temporary = `${target}.tmp-${process.pid}`;
    writeFileSync(temporary, `${JSON.stringify(studentCopy(notebook, importPath, projectPath), null, 1)}\n`);
    renameSync(temporary, target);
    return target;
  });
}

function main(argv: readonly string[]): number {
  let out = join(ROOT, 'student-notebooks');
  const chosen: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--out') {
      const dir = argv[++i];
      if (dir === undefined || dir === '') {
        console.error('student-copies: --out needs a folder');
        return 2;
      }
      out = resolve(dir);
    } else if (arg.startsWith('-')) {
      console.error(`student-copies: unknown option ${arg} (usage: student-copies [--out DIR] [notebook.ipynb ...])`);
      return 2;
    } else {
      if (!existsSync(arg)) {
        console.error(`student-copies: ${arg}: no such notebook`);
        return 2;
      }
      chosen.push(resolve(arg));
    }
  }
  if (resolve(out) === NOTEBOOKS || chosen.some((source) => dirname(source) === resolve(out))) {
    console.error(`student-copies: ${out} holds the notebooks themselves; choose another folder`);
    return 2;
  }
  const sources =
    chosen.length > 0
      ? chosen
      : readdirSync(NOTEBOOKS)
          .filter((f) => f.endsWith('.ipynb'))
          .sort()
          .map((f) => join(NOTEBOOKS, f));
  try {
    const written = writeStudentCopies(sources, out);
    console.log(
      `student-copies: ${written.length} notebooks without answers in ${relative(process.cwd(), out) || '.'}`,
    );
    return 0;
  } catch (e) {
    console.error(`student-copies: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
