#!/usr/bin/env node
// `npm start`: opens Jupyter on notebooks/ with this project's tslab kernel visible (JUPYTER_PATH).
// Opens JupyterLab wherever it is found (RNN_PYTHON, the project's .venv, python3, /usr/bin/python3;
// see jupyter-env.js), else Notebook 7, else the classic Notebook, else a `jupyter` on PATH.
// Arguments after `--` go to Jupyter: `npm start -- --port 9999`.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const path = require('node:path');
const { ROOT, PYTHON_ENV_VAR, probeAll, chooseFrontEnd, jupyterEnv } = require('./jupyter-env');

const env = jupyterEnv(process.env);
const probes = probeAll(process.env);
const explicit = probes.find((p) => p.explicit);
if (explicit && !explicit.ok) {
  console.error(`npm start: ${PYTHON_ENV_VAR}=${explicit.python} cannot be used: ${explicit.error}`);
  process.exit(2);
}

/** @type {string | undefined} */
let command;
/** @type {string[]} */
let args = [];
let what = '';
const chosen = chooseFrontEnd(probes);
if (chosen) {
  command = chosen.python;
  args = ['-m', chosen.module];
  what = `${chosen.name} ${chosen.version} (${chosen.source})`;
} else if (!explicit) {
  // A Jupyter whose Python is none of the above (pipx, an app bundle): as found on PATH.
  const has = (sub) => spawnSync('jupyter', [sub, '--version'], { env, stdio: 'ignore' }).status === 0;
  const sub = has('lab') ? 'lab' : has('notebook') ? 'notebook' : null;
  if (sub) {
    command = 'jupyter';
    args = [sub];
    what = `jupyter ${sub} from PATH`;
  }
}
if (!command) {
  const where = explicit
    ? `${PYTHON_ENV_VAR}=${explicit.python}`
    : 'the project .venv, python3, /usr/bin/python3 or PATH';
  console.error(
    `npm start: no Jupyter found in ${where}. Install one: python3 -m venv .venv && .venv/bin/pip install -r requirements.txt (docs/setup.md); npm run doctor says more`,
  );
  process.exit(2);
}

// Jupyter refuses to start as root without --allow-root; containers often run as root.
const rootFlag = typeof process.getuid === 'function' && process.getuid() === 0 ? ['--allow-root'] : [];
console.error(`npm start: ${what}`);
const child = spawn(
  command,
  [...args, `--notebook-dir=${path.join(ROOT, 'notebooks')}`, ...rootFlag, ...process.argv.slice(2)],
  { env, stdio: 'inherit' },
);
child.on('error', (e) => {
  console.error(`npm start: cannot run ${command}: ${e.message}`);
  process.exit(2);
});
// Ctrl+C reaches Jupyter through the terminal; wait for it to shut its kernels down.
process.on('SIGINT', () => undefined);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
