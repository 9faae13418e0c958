/** scripts/jupyter-env.js: where Python and Jupyter are looked for, and which front-end npm start picks. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, test } from 'node:test';
import {
  chooseFrontEnd,
  defaultUserDataDir,
  findPython,
  jupyterEnv,
  probePython,
  projectJupyterPath,
  pythonCandidates,
  readKernelSpec,
  venvPython,
  type PythonProbe,
  type PythonProbeOk,
} from '../../scripts/jupyter-env';

function probe(python: string, packages: Partial<PythonProbeOk['packages']>): PythonProbe {
  const none = {
    jupyterlab: null,
    notebook: null,
    nbclient: null,
    nbconvert: null,
    nbformat: null,
    jupyter_core: null,
    jupyter_client: null,
    plotly: null,
  };
  return {
    python,
    source: python,
    explicit: false,
    ok: true,
    executable: python,
    prefix: '/p',
    version: '3.11.0',
    packages: { ...none, ...packages },
  };
}

describe('pythonCandidates', () => {
  test('the project .venv first, then python3 on PATH, then the system Python', () => {
    const list = pythonCandidates({}, '/proj').map((c) => c.python);
    assert.equal(list[0], venvPython('/proj'));
    assert.deepEqual(
      list.slice(1),
      process.platform === 'win32' ? ['python3', 'python'] : ['python3', '/usr/bin/python3'],
    );
  });
  test('RNN_PYTHON alone when set', () => {
    assert.deepEqual(pythonCandidates({ RNN_PYTHON: '/opt/py/bin/python' }), [
      { python: '/opt/py/bin/python', source: '$RNN_PYTHON', explicit: true },
    ]);
    assert.equal(pythonCandidates({ RNN_PYTHON: '' }).length, 3, 'an empty RNN_PYTHON counts as unset');
  });
});

describe('chooseFrontEnd', () => {
  test('JupyterLab wherever it is, then Notebook 7, then the classic Notebook', () => {
    const classic = probe('/usr/bin/python3', { notebook: '6.4.12' });
    const nb7 = probe('/a/python', { notebook: '7.6.3' });
    const lab = probe('/b/python', { jupyterlab: '4.6.4', notebook: '7.6.3' });
    assert.equal(chooseFrontEnd([classic, nb7, lab])?.kind, 'lab');
    assert.equal(chooseFrontEnd([classic, nb7, lab])?.python, '/b/python');
    assert.equal(chooseFrontEnd([classic, nb7])?.kind, 'notebook7');
    assert.equal(chooseFrontEnd([classic])?.kind, 'classic');
    assert.equal(chooseFrontEnd([classic])?.module, 'notebook');
    assert.equal(
      chooseFrontEnd([probe('/c', {}), { python: '/d', source: 'x', explicit: false, ok: false, error: 'not found' }]),
      undefined,
    );
  });
});

describe('probePython and findPython', () => {
  test('a missing Python is named, and one that fails says how', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'rnn-jenv-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const missing = probePython({ python: join(dir, 'nope'), source: 'test', explicit: false });
    assert.equal(missing.ok, false);
    assert.match(missing.ok ? '' : missing.error, /nope: not found$/);
    if (process.platform !== 'win32') {
      const broken = join(dir, 'broken-python');
      writeFileSync(broken, '#!/bin/sh\necho "ImportError: no json" >&2\nexit 3\n');
      chmodSync(broken, 0o755);
      const r = probePython({ python: broken, source: 'test', explicit: false });
      assert.match(r.ok ? '' : r.error, /broken-python failed: ImportError: no json/);
    }
    const found = findPython(() => true, { RNN_PYTHON: join(dir, 'nope') });
    assert.equal(found.python, undefined);
    assert.match(found.error ?? '', /^\$RNN_PYTHON=.*nope cannot be used: .*nope: not found$/);
  });
  test('a real Python reports its packages and Jupyter folders', () => {
    const found = findPython((p) => p.packages.jupyter_core !== null);
    if (found.python === undefined) {
      if (process.env.CI) assert.fail(`no Python with Jupyter under CI: ${found.error}`);
      return; // no Jupyter at all on this machine: nothing to compare
    }
    const p = found.probe!;
    assert.match(p.version, /^3\.\d+\.\d+$/);
    assert.ok(
      p.dataDir && p.jupyterPath && p.jupyterPath[0] === projectJupyterPath(),
      'the project kernel folder comes first on its Jupyter path',
    );
  });
});

describe('jupyterEnv, defaultUserDataDir, readKernelSpec', () => {
  test("puts the project's kernel folder first on JUPYTER_PATH, once", () => {
    assert.equal(jupyterEnv({}).JUPYTER_PATH, projectJupyterPath());
    const twice = jupyterEnv(jupyterEnv({ JUPYTER_PATH: '/x' }));
    assert.equal(twice.JUPYTER_PATH, [projectJupyterPath(), '/x'].join(delimiter));
  });
  test("Jupyter's documented default data folders", () => {
    assert.equal(defaultUserDataDir({ JUPYTER_DATA_DIR: '/j' }), '/j');
    if (process.platform === 'linux') {
      assert.equal(defaultUserDataDir({ HOME: '/h' }), '/h/.local/share/jupyter');
      assert.equal(defaultUserDataDir({ HOME: '/h', XDG_DATA_HOME: '/x' }), '/x/jupyter');
    }
    if (process.platform === 'darwin') assert.equal(defaultUserDataDir({ HOME: '/h' }), '/h/Library/Jupyter');
  });
  test('a kernel spec that is missing, not JSON, or has no argv is named as such', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'rnn-jenv-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    assert.match(readKernelSpec(join(dir, 'kernel.json')).error ?? '', /kernel\.json: missing$/);
    writeFileSync(join(dir, 'bad.json'), '{');
    assert.match(readKernelSpec(join(dir, 'bad.json')).error ?? '', /bad\.json: not JSON/);
    writeFileSync(join(dir, 'empty.json'), '{"argv": []}');
    assert.match(readKernelSpec(join(dir, 'empty.json')).error ?? '', /empty\.json: no "argv" list/);
    writeFileSync(join(dir, 'ok.json'), '{"argv": ["a", "b"]}');
    assert.deepEqual(readKernelSpec(join(dir, 'ok.json')).spec?.argv, ['a', 'b']);
  });
});
