/**
 * `npm start` (scripts/start-jupyter.js), run for real on 127.0.0.1 with scratch Jupyter folders:
 * it serves notebooks/ with the front-end scripts/jupyter-env.js ranks first (JupyterLab where it
 * is found, else Notebook 7, else the classic Notebook), and that server lists this project's
 * tslab kernel. With RNN_PYTHON set to something unusable it exits 2 with one line saying so.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { chooseFrontEnd, findPython, probeAll, ROOT, type FrontEnd } from '../../scripts/jupyter-env';
import { freePort, sleep } from '../jupyter/browser-shared';

const SCRIPT = join(ROOT, 'scripts', 'start-jupyter.js');

function scratchEnv(
  t: TestContext,
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  const home = mkdtempSync(join(tmpdir(), 'rnn-start-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  return {
    ...process.env,
    JUPYTER_RUNTIME_DIR: join(home, 'runtime'),
    JUPYTER_DATA_DIR: join(home, 'data'),
    JUPYTER_CONFIG_DIR: join(home, 'config'),
    JUPYTERLAB_SETTINGS_DIR: join(home, 'lab-settings'),
    JUPYTERLAB_WORKSPACES_DIR: join(home, 'lab-workspaces'),
    JUPYTER_PATH: undefined,
    ...extra,
  };
}

/** Starts `npm start` with Jupyter arguments that keep it on 127.0.0.1; checks what it serves; stops it. */
async function startAndCheck(
  t: TestContext,
  expected: FrontEnd,
  env: Record<string, string | undefined>,
): Promise<void> {
  const port = await freePort();
  const token = randomBytes(12).toString('hex');
  const tokenFlag = expected.kind === 'classic' ? `--NotebookApp.token=${token}` : `--IdentityProvider.token=${token}`;
  const child = spawn(
    process.execPath,
    [SCRIPT, '--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0', tokenFlag],
    { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  t.after(async () => {
    if (!exited && child.pid !== undefined) {
      process.kill(-child.pid, 'SIGTERM');
      for (let i = 0; i < 100 && !exited; i++) await sleep(100);
      if (!exited) process.kill(-child.pid, 'SIGKILL');
    }
  });
  const api = async (path: string): Promise<Response> =>
    fetch(`http://127.0.0.1:${port}${path}${path.includes('?') ? '&' : '?'}token=${token}`);
  const started = Date.now();
  for (;;) {
    assert.ok(!exited, `npm start exited early:\n${output}`);
    if (
      await api('/api/status')
        .then((r) => r.ok)
        .catch(() => false)
    )
      break;
    assert.ok(Date.now() - started < 90_000, `npm start did not serve on 127.0.0.1:${port} within 90 s:\n${output}`);
    await sleep(250);
  }
  assert.match(
    output,
    new RegExp(`^npm start: ${expected.name} ${expected.version.replace(/\./g, '\\.')} \\(`),
    'says which front-end it opens',
  );
  const specs = (await (await api('/api/kernelspecs')).json()) as {
    kernelspecs: Record<string, { resource_dir?: string }>;
  };
  assert.ok(
    specs.kernelspecs.tslab,
    `the server does not list the tslab kernel: ${Object.keys(specs.kernelspecs).join(', ')}`,
  );
  const contents = (await (await api('/api/contents/')).json()) as { content: { name: string }[] };
  assert.ok(
    contents.content.some((c) => c.name === '01-concepts.ipynb'),
    'it serves notebooks/',
  );
  const page = await api(expected.kind === 'classic' ? '/tree' : expected.kind === 'lab' ? '/lab' : '/tree');
  assert.equal(page.status, 200);
  const html = await page.text();
  if (expected.kind === 'lab') assert.match(html, /JupyterLab/);
  if (expected.kind === 'classic') assert.match(html, /Jupyter Notebook|IPython Notebook/);
}

describe('npm start', () => {
  test('opens the front-end ranked first, serving notebooks/ with the tslab kernel', async (t) => {
    const chosen = chooseFrontEnd(probeAll());
    if (chosen === undefined) {
      if (process.env.CI) assert.fail('no Jupyter front-end found under CI');
      return t.skip('no Jupyter front-end installed here');
    }
    t.diagnostic(`npm start opens ${chosen.name} ${chosen.version} from ${chosen.python}`);
    await startAndCheck(t, chosen, scratchEnv(t));
  });
  test('opens the classic Notebook when RNN_PYTHON has only that', async (t) => {
    const classic = findPython(
      (p) =>
        p.packages.notebook !== null && p.packages.jupyterlab === null && Number(p.packages.notebook.split('.')[0]) < 7,
      { ...process.env, RNN_PYTHON: undefined },
    );
    if (classic.python === undefined) {
      if (process.env.CI) assert.fail(`no classic Notebook under CI: ${classic.error}`);
      return t.skip('no classic Notebook installed here');
    }
    const env = scratchEnv(t, { RNN_PYTHON: classic.python });
    const expected = chooseFrontEnd(probeAll(env));
    assert.equal(expected?.kind, 'classic');
    await startAndCheck(t, expected!, env);
  });
  test('an unusable RNN_PYTHON: exit 2, one line', (t) => {
    const missing = spawnSync(process.execPath, [SCRIPT], {
      env: scratchEnv(t, { RNN_PYTHON: '/nonexistent/python' }),
      encoding: 'utf8',
    });
    assert.equal(missing.status, 2);
    assert.equal(
      missing.stderr,
      'npm start: RNN_PYTHON=/nonexistent/python cannot be used: /nonexistent/python: not found\n',
    );
    const dir = mkdtempSync(join(tmpdir(), 'rnn-start-bare-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const venv = spawnSync('python3', ['-m', 'venv', '--without-pip', join(dir, 'bare')], { encoding: 'utf8' });
    if (venv.status !== 0) return t.skip(`python3 -m venv is not available: ${venv.stderr}`);
    const bare = spawnSync(process.execPath, [SCRIPT], {
      env: scratchEnv(t, { RNN_PYTHON: join(dir, 'bare', 'bin', 'python') }),
      encoding: 'utf8',
    });
    assert.equal(bare.status, 2);
    assert.match(
      bare.stderr,
      /^npm start: no Jupyter found in RNN_PYTHON=.*bare\/bin\/python\. Install one: python3 -m venv \.venv && \.venv\/bin\/pip install -r requirements\.txt/,
    );
    assert.equal(bare.stderr.trim().split('\n').length, 1);
  });
});
