'use strict';
/**
 * Where this project finds Python and Jupyter: one lookup for `npm start`, `npm run kernel`,
 * `npm run doctor` and the tests (TypeScript sees it through jupyter-env.d.ts).
 *
 * Python, in this order:
 *  1. $RNN_PYTHON, when set: then only that one, and a wrong value is reported, not skipped;
 *  2. the project's virtual environment, .venv/ (pip install -r requirements.txt);
 *  3. python3 on PATH (an activated conda env or virtual environment);
 *  4. /usr/bin/python3 (Debian's Jupyter packages); `python` on Windows.
 *
 * Plain CommonJS with no dependencies, so that `npm run doctor` works before anything is built.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const PYTHON_ENV_VAR = 'RNN_PYTHON';
const KERNEL_NAME = 'tslab';

/** The project's own Jupyter data folder (the kernel spec `npm install` writes). */
function projectJupyterPath(root = ROOT) {
  return path.join(root, '.jupyter', 'share', 'jupyter');
}

function venvPython(root = ROOT) {
  return process.platform === 'win32'
    ? path.join(root, '.venv', 'Scripts', 'python.exe')
    : path.join(root, '.venv', 'bin', 'python');
}

/** The Pythons to try, in order, each with where it comes from. */
function pythonCandidates(env = process.env, root = ROOT) {
  const explicit = env[PYTHON_ENV_VAR];
  if (explicit !== undefined && explicit !== '')
    return [{ python: explicit, source: `$${PYTHON_ENV_VAR}`, explicit: true }];
  const list = [
    { python: venvPython(root), source: 'the project .venv', explicit: false },
    { python: 'python3', source: 'python3 on PATH', explicit: false },
  ];
  if (process.platform === 'win32') list.push({ python: 'python', source: 'python on PATH', explicit: false });
  else list.push({ python: '/usr/bin/python3', source: 'the system Python', explicit: false });
  return list;
}

const PACKAGES = [
  'jupyterlab',
  'notebook',
  'nbclient',
  'nbconvert',
  'nbformat',
  'jupyter_core',
  'jupyter_client',
  'plotly',
];

// Versions from package metadata (no imports of the packages themselves: fast), Jupyter's data
// folder and search path, and where each kernel spec is found, all under the given environment.
const PROBE = `
import json, sys
out = {"executable": sys.executable, "prefix": sys.prefix, "version": "%d.%d.%d" % tuple(sys.version_info[:3]), "packages": {}}
try:
    from importlib import metadata
except ImportError:
    metadata = None
for name in ${JSON.stringify(PACKAGES)}:
    try:
        out["packages"][name] = metadata.version(name)
    except Exception:
        out["packages"][name] = None
try:
    from jupyter_core.paths import jupyter_data_dir, jupyter_path
    out["dataDir"] = jupyter_data_dir()
    out["jupyterPath"] = jupyter_path()
except Exception as e:
    out["jupyterCoreError"] = str(e)
try:
    from jupyter_client.kernelspec import KernelSpecManager
    out["kernels"] = KernelSpecManager().find_kernel_specs()
except Exception as e:
    out["kernelsError"] = str(e)
print(json.dumps(out))
`;

/**
 * What one Python has: `{ python, source, ok: true, executable, prefix, version, packages, dataDir,
 * jupyterPath, kernels }`, or `{ python, source, ok: false, error }` when it does not run.
 */
function probePython(candidate, env = process.env) {
  const run = spawnSync(candidate.python, ['-c', PROBE], { env, encoding: 'utf8', timeout: 60_000 });
  if (run.error !== undefined) {
    const why = run.error.code === 'ENOENT' ? 'not found' : run.error.message;
    return { ...candidate, ok: false, error: `${candidate.python}: ${why}` };
  }
  if (run.status !== 0) {
    const last = (run.stderr || '').trim().split('\n').pop() || `exit code ${run.status}`;
    return { ...candidate, ok: false, error: `${candidate.python} failed: ${last}` };
  }
  try {
    return { ...candidate, ok: true, ...JSON.parse(run.stdout.trim().split('\n').pop()) };
  } catch {
    return {
      ...candidate,
      ok: false,
      error: `${candidate.python}: unexpected output ${JSON.stringify(run.stdout.slice(0, 200))}`,
    };
  }
}

/** Every candidate, probed (the environment gets the project's JUPYTER_PATH, as npm start sets it). */
function probeAll(env = process.env, root = ROOT) {
  const withPath = jupyterEnv(env, root);
  return pythonCandidates(env, root).map((c) => probePython(c, withPath));
}

function major(version) {
  return version ? Number(String(version).split('.')[0]) : NaN;
}

/** The front-ends one probed Python can start, best first: JupyterLab, Notebook 7, classic Notebook. */
function frontEndsOf(probe) {
  if (!probe.ok) return [];
  const found = [];
  const p = probe.packages;
  if (p.jupyterlab) found.push({ kind: 'lab', name: 'JupyterLab', version: p.jupyterlab, module: 'jupyterlab' });
  if (p.notebook && major(p.notebook) >= 7)
    found.push({ kind: 'notebook7', name: 'Notebook', version: p.notebook, module: 'notebook' });
  if (p.notebook && major(p.notebook) < 7)
    found.push({ kind: 'classic', name: 'classic Notebook', version: p.notebook, module: 'notebook' });
  return found.map((f) => ({ ...f, python: probe.python, source: probe.source }));
}

const RANK = { lab: 0, notebook7: 1, classic: 2 };

/** What `npm start` opens: JupyterLab wherever it is found first, else Notebook 7, else the classic Notebook. */
function chooseFrontEnd(probes) {
  const all = probes.flatMap(frontEndsOf);
  all.sort((a, b) => RANK[a.kind] - RANK[b.kind]);
  return all[0];
}

/**
 * The first candidate Python that passes `accept(probe)`, e.g. one with nbclient. When RNN_PYTHON
 * is set and does not pass, the result says so (`error`) instead of looking further.
 */
function findPython(accept, env = process.env, root = ROOT) {
  const tried = [];
  for (const candidate of pythonCandidates(env, root)) {
    const probe = probePython(candidate, jupyterEnv(env, root));
    if (probe.ok && accept(probe)) return { python: probe.python, probe, tried };
    tried.push(probe.ok ? `${probe.python} (${probe.source}): lacks what is needed` : probe.error);
    if (candidate.explicit)
      return { python: undefined, error: `$${PYTHON_ENV_VAR}=${candidate.python} cannot be used: ${tried[0]}`, tried };
  }
  return { python: undefined, error: `no suitable Python found; tried ${tried.join('; ')}`, tried };
}

/** `env` with the project's kernel spec folder first on JUPYTER_PATH. */
function jupyterEnv(env = process.env, root = ROOT) {
  const rest = env.JUPYTER_PATH
    ? env.JUPYTER_PATH.split(path.delimiter).filter((p) => p !== projectJupyterPath(root))
    : [];
  return { ...env, JUPYTER_PATH: [projectJupyterPath(root), ...rest].join(path.delimiter) };
}

/** The user's Jupyter data folder where Jupyter itself is not there to ask (its documented defaults). */
function defaultUserDataDir(env = process.env) {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  const home = env.HOME || env.USERPROFILE || os.homedir();
  if (process.platform === 'win32') return path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), 'jupyter');
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Jupyter');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'jupyter');
}

/** Reads a kernel.json; `{ spec }` or `{ error }` naming the file. */
function readKernelSpec(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return { error: `${file}: ${e.code === 'ENOENT' ? 'missing' : e.message}` };
  }
  try {
    const spec = JSON.parse(text);
    if (!Array.isArray(spec.argv) || spec.argv.length === 0) return { error: `${file}: no "argv" list` };
    return { spec };
  } catch (e) {
    return { error: `${file}: not JSON (${e.message})` };
  }
}

module.exports = {
  ROOT,
  PYTHON_ENV_VAR,
  KERNEL_NAME,
  projectJupyterPath,
  venvPython,
  pythonCandidates,
  probePython,
  probeAll,
  frontEndsOf,
  chooseFrontEnd,
  findPython,
  jupyterEnv,
  defaultUserDataDir,
  readKernelSpec,
};
