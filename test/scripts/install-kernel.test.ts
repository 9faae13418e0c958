/**
 * `npm run kernel` (scripts/install-kernel.js) outside the project: --user, --prefix and
 * --sys-prefix write a kernel spec with absolute paths where Jupyter finds it without
 * JUPYTER_PATH, and the kernel it describes starts and runs TypeScript even with no Node.js on
 * PATH (as VS Code started from a desktop launcher has it). Every write goes to scratch folders
 * (HOME, JUPYTER_DATA_DIR, a scratch virtual environment): the real user's Jupyter folder is never
 * touched. Bad flags exit 2 with one line saying what was wrong.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { findPython, ROOT } from '../../scripts/jupyter-env';

const SCRIPT = join(ROOT, 'scripts', 'install-kernel.js');
const jupyter = findPython((p) => p.packages.jupyter_client !== null && p.packages.jupyter_core !== null);

function scratch(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'rnn-kernel-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs the script with an environment that has no JUPYTER_PATH and a scratch HOME. */
function install(
  args: readonly string[],
  env: Record<string, string | undefined>,
): { status: number | null; stdout: string; stderr: string } {
  const clean = {
    ...process.env,
    JUPYTER_PATH: undefined,
    JUPYTER_DATA_DIR: undefined,
    XDG_DATA_HOME: undefined,
    RNN_PYTHON: undefined,
    ...env,
  };
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { env: clean, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Spec {
  argv: string[];
  display_name: string;
  metadata?: { rnn_notebooks?: { root?: string } };
}

function readSpec(dir: string): Spec {
  return JSON.parse(readFileSync(join(dir, 'kernels', 'tslab', 'kernel.json'), 'utf8')) as Spec;
}

function assertAbsoluteSpec(spec: Spec): void {
  assert.equal(spec.argv[0], process.execPath, 'runs this Node.js by its absolute path');
  assert.equal(spec.argv[1], join(ROOT, 'node_modules', 'tslab', 'bin', 'tslab'));
  assert.ok(existsSync(spec.argv[1]!));
  assert.deepEqual(spec.argv.slice(2), ['kernel', '--config-path', '{connection_file}']);
  assert.equal(spec.metadata?.rnn_notebooks?.root, ROOT);
}

/**
 * Where that Python's Jupyter finds "tslab", with no JUPYTER_PATH: what `jupyter kernelspec list`
 * prints, asked of jupyter_client in that interpreter (`python -m jupyter kernelspec` would run
 * whichever jupyter-kernelspec is first on PATH, maybe another Python's).
 */
function kernelspecDir(python: string, env: Record<string, string | undefined>): string | undefined {
  const code =
    'import json; from jupyter_client.kernelspec import KernelSpecManager; print(json.dumps(KernelSpecManager().find_kernel_specs()))';
  const r = spawnSync(python, ['-c', code], {
    env: { ...process.env, JUPYTER_PATH: undefined, ...env },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `listing kernel specs failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as Record<string, string>).tslab;
}

// Starts the kernel from its spec through jupyter_client, as any front-end does, and runs one cell.
const RUN_KERNEL = `
import sys
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name="tslab", startup_timeout=120)
try:
    out = []
    reply = kc.execute_interactive("console.log(6 * 7)", timeout=120, output_hook=lambda m: out.append(m["content"].get("text", "")))
    print("".join(out).strip())
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
`;

describe('npm run kernel -- --user', () => {
  test('writes an absolute-path spec into the Jupyter data folder, which Jupyter lists and starts without node on PATH', (t) => {
    if (jupyter.python === undefined) {
      if (process.env.CI) assert.fail(`no Python with jupyter_client under CI: ${jupyter.error}`);
      return t.skip(`no Python with jupyter_client (${jupyter.error})`);
    }
    const home = scratch(t);
    const data = join(home, 'jupyter-data');
    const r = install(['--user'], { HOME: home, JUPYTER_DATA_DIR: data });
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `registered in your Jupyter data folder: ${join(data, 'kernels', 'tslab').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
      ),
    );
    assertAbsoluteSpec(readSpec(data));
    assert.equal(kernelspecDir(jupyter.python, { HOME: home, JUPYTER_DATA_DIR: data }), join(data, 'kernels', 'tslab'));
    // PATH with the Python only: the spec must not rely on finding node there.
    const run = spawnSync(jupyter.python, ['-c', RUN_KERNEL], {
      env: {
        HOME: home,
        JUPYTER_DATA_DIR: data,
        JUPYTER_RUNTIME_DIR: join(home, 'runtime'),
        PATH: dirname(jupyter.probe!.executable),
        TMPDIR: home,
      },
      cwd: home,
      encoding: 'utf8',
      timeout: 180_000,
    });
    assert.equal(run.status, 0, run.stderr.slice(-2000));
    assert.equal(run.stdout.trim().split('\n').pop(), '42');
    const again = install(['--user'], { HOME: home, JUPYTER_DATA_DIR: data });
    assert.equal(again.status, 0);
    assert.doesNotMatch(again.stdout, /replaced/, 'the same spec again replaces nothing worth saying');
  });
  test("uses Jupyter's documented default folder where no Jupyter is there to ask", (t) => {
    if (process.platform !== 'linux') return t.skip('the default checked here is the Linux one');
    const home = scratch(t);
    const bare = join(home, 'bare');
    const venv = spawnSync('python3', ['-m', 'venv', '--without-pip', bare], { encoding: 'utf8' });
    if (venv.status !== 0) return t.skip(`python3 -m venv is not available: ${venv.stderr}`);
    const r = install(['--user'], { HOME: home, RNN_PYTHON: join(bare, 'bin', 'python') });
    assert.equal(r.status, 0, r.stderr);
    assertAbsoluteSpec(readSpec(join(home, '.local', 'share', 'jupyter')));
  });
});

describe('npm run kernel -- --prefix / --sys-prefix', () => {
  test('--prefix DIR writes DIR/share/jupyter/kernels/tslab', (t) => {
    const dir = scratch(t);
    const r = install(['--prefix', join(dir, 'env')], { HOME: dir });
    assert.equal(r.status, 0, r.stderr);
    assertAbsoluteSpec(readSpec(join(dir, 'env', 'share', 'jupyter')));
  });
  test("--sys-prefix writes into the Python environment's share/jupyter, where its Jupyter finds it (Binder)", (t) => {
    const dir = scratch(t);
    // A scratch environment that sees a system Jupyter: its sys.prefix is the scratch folder.
    const system = findPython((p) => p.packages.jupyter_client !== null && p.prefix.startsWith('/usr'), {
      ...process.env,
      RNN_PYTHON: undefined,
    });
    if (system.python === undefined) {
      if (process.env.CI) assert.fail(`no system Python with Jupyter under CI: ${system.error}`);
      return t.skip('no system Python with Jupyter to base a scratch environment on');
    }
    const venv = join(dir, 'venv');
    const made = spawnSync(system.python, ['-m', 'venv', '--without-pip', '--system-site-packages', venv], {
      encoding: 'utf8',
    });
    assert.equal(made.status, 0, made.stderr);
    const python = join(venv, 'bin', 'python');
    const r = install(['--sys-prefix'], { HOME: dir, RNN_PYTHON: python });
    assert.equal(r.status, 0, r.stderr);
    assertAbsoluteSpec(readSpec(join(venv, 'share', 'jupyter')));
    assert.equal(
      kernelspecDir(python, { HOME: dir, JUPYTER_DATA_DIR: join(dir, 'data') }),
      join(venv, 'share', 'jupyter', 'kernels', 'tslab'),
    );
  });
  test('--sys-prefix without a Python that has Jupyter says so', (t) => {
    const dir = scratch(t);
    const r = install(['--sys-prefix'], { HOME: dir, RNN_PYTHON: join(dir, 'no-python') });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /^install-kernel: --sys-prefix needs a Python with Jupyter: \$RNN_PYTHON=.*no-python cannot be used: .*not found\n$/,
    );
  });
});

describe('npm run kernel: bad arguments', () => {
  for (const [args, message] of [
    [['--bogus'], /unknown argument "--bogus"/],
    [['--prefix'], /--prefix needs a folder/],
    [['--user', '--sys-prefix'], /--sys-prefix: choose one of --user, --sys-prefix, --prefix/],
  ] as const) {
    test(`${args.join(' ')} exits 2 with one line`, () => {
      const r = install(args, {});
      assert.equal(r.status, 2);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.match(r.stderr, /usage: npm run kernel/);
    });
  }
});
