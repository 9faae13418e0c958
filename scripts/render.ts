/**
 * `npm run render`: executes every notebooks/*.ipynb with this project's tslab kernel and writes
 * one HTML page per notebook into docs/ (`jupyter nbconvert --execute --to html`). The pages keep
 * the outputs' scripts, and each carries plotly.js inline once, so the charts draw without a
 * kernel and without a network.
 *
 *   node --import tsx scripts/render.ts [--out DIR] [notebook.ipynb ...]
 *
 * RNN_SMOKE (and every other variable) passes through to the kernel. RNN_CELL_TIMEOUT sets the
 * seconds one cell may run (default 1800).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { findPython, jupyterEnv } from './jupyter-env';

const ROOT = resolve(__dirname, '..');
const KERNEL_SPEC = join(ROOT, '.jupyter', 'share', 'jupyter', 'kernels', 'tslab', 'kernel.json');

function fail(message: string): never {
  console.error(`render: ${message}`);
  process.exit(1);
}

function parseArgs(argv: readonly string[]): { out: string; notebooks: string[] } {
  let out = join(ROOT, 'docs');
  const notebooks: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--out') {
      const dir = argv[++i];
      if (dir === undefined) fail('--out needs a folder');
      out = resolve(dir);
    } else if (arg.startsWith('-')) {
      fail(`unknown option ${arg} (usage: render [--out DIR] [notebook.ipynb ...])`);
    } else {
      if (!existsSync(arg)) fail(`${arg}: no such notebook`);
      notebooks.push(resolve(arg));
    }
  }
  if (notebooks.length === 0) {
    const dir = join(ROOT, 'notebooks');
    if (!existsSync(dir)) fail('no notebooks/ folder');
    notebooks.push(
      ...readdirSync(dir)
        .filter((f) => f.endsWith('.ipynb'))
        .sort()
        .map((f) => join(dir, f)),
    );
  }
  return { out, notebooks };
}

// The Python with nbconvert, found as everywhere in the project (RNN_PYTHON, .venv, python3, /usr/bin/python3).
const found = findPython((p) => p.packages.nbconvert !== null && p.packages.nbclient !== null);

function checkTools(): string {
  if (found.python === undefined)
    fail(
      `no Python with nbconvert and nbclient (${found.error}); install Jupyter: pip install -r requirements.txt into .venv (docs/setup.md)`,
    );
  if (!existsSync(KERNEL_SPEC)) fail('the tslab kernel is not registered for this project: run `npm run kernel`');
  if (!existsSync(join(ROOT, 'dist', 'index.js')))
    fail('dist/ is missing: run `npm run build` first (the notebooks import ../dist)');
  return found.python;
}

function nbconvert(python: string, args: readonly string[], env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  const timeout = process.env.RNN_CELL_TIMEOUT ?? '1800';
  return spawnSync(
    python,
    [
      '-m',
      'nbconvert',
      '--execute',
      '--ExecutePreprocessor.kernel_name=tslab',
      `--ExecutePreprocessor.timeout=${timeout}`,
      ...args,
    ],
    {
      env,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
}

interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: { output_type: string; name?: string; text?: string | string[] }[];
}

const joined = (s: string | string[] | undefined): string => (Array.isArray(s) ? s.join('') : (s ?? ''));

/**
 * tslab reports errors as stderr text in the cell, and nbconvert then only says `<Error>:`
 * after the failing cell's source. So: run the notebook again with errors allowed, find that
 * cell by its source, and show what it wrote to stderr.
 */
function diagnose(python: string, notebook: string, failure: string, env: NodeJS.ProcessEnv): string {
  const source = /An error occurred while executing the following cell:\n-+\n([\s\S]*?)\n-+\n/.exec(failure)?.[1];
  const tail = failure.trim().split('\n').slice(-15).join('\n');
  if (source === undefined) return tail;
  const dir = mkdtempSync(join(tmpdir(), 'rnn-render-'));
  try {
    const run = nbconvert(
      python,
      [
        '--to',
        'notebook',
        '--ExecutePreprocessor.allow_errors=True',
        '--output-dir',
        dir,
        '--output',
        'diagnose',
        notebook,
      ],
      env,
    );
    const path = join(dir, 'diagnose.ipynb');
    if (run.status !== 0 || !existsSync(path)) return tail;
    const cells = (JSON.parse(readFileSync(path, 'utf8')) as { cells: Cell[] }).cells;
    const index = cells.findIndex((c) => c.cell_type === 'code' && joined(c.source).trim() === source.trim());
    const cell = cells[index];
    if (cell === undefined) return tail;
    const stderr = (cell.outputs ?? [])
      .filter((o) => o.output_type === 'stream' && o.name === 'stderr')
      .map((o) => joined(o.text))
      .join('');
    const first = source.split('\n').find((l) => l.trim() !== '') ?? '';
    return `cell ${index} (\`${first.slice(0, 70)}\`) failed:\n${stderr.trim() || tail}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const { out, notebooks } = parseArgs(process.argv.slice(2));
  const env = jupyterEnv(process.env);
  const python = checkTools();
  if (notebooks.length === 0) fail('no notebooks to render');
  mkdirSync(out, { recursive: true });
  let failed = 0;
  for (const notebook of notebooks) {
    const name = basename(notebook, '.ipynb');
    const started = Date.now();
    const run = nbconvert(python, ['--to', 'html', '--output-dir', out, '--output', name, notebook], env);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (run.status === 0) {
      console.log(`render: ${relative(ROOT, notebook)} -> ${relative(ROOT, join(out, `${name}.html`))} (${seconds} s)`);
      continue;
    }
    failed += 1;
    console.error(
      `render: ${relative(ROOT, notebook)} FAILED after ${seconds} s; ${diagnose(python, notebook, run.stderr, env)}`,
    );
  }
  if (failed > 0) fail(`${failed} of ${notebooks.length} notebooks failed`);
}

main();
