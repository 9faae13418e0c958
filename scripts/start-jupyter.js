#!/usr/bin/env node
// `npm start`: opens Jupyter on notebooks/ with this project's tslab kernel visible.
// Prefers JupyterLab, falls back to the classic Notebook (Debian ships only the latter).
'use strict';
const { spawnSync, spawn } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const env = { ...process.env, JUPYTER_PATH: [path.join(root, '.jupyter', 'share', 'jupyter'), process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter) };

function has(sub) {
  return spawnSync('jupyter', [sub, '--version'], { env, stdio: 'ignore' }).status === 0;
}

const sub = has('lab') ? 'lab' : has('notebook') ? 'notebook' : null;
if (!sub) {
  console.error('npm start: neither `jupyter lab` nor `jupyter notebook` was found; see README "Set up" (conda env or Debian packages)');
  process.exit(2);
}
// Jupyter refuses to start as root without --allow-root; containers often run as root.
const rootFlag = typeof process.getuid === 'function' && process.getuid() === 0 ? ['--allow-root'] : [];
const child = spawn('jupyter', [sub, `--notebook-dir=${path.join(root, 'notebooks')}`, ...rootFlag, ...process.argv.slice(2)], { env, stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 1));
