#!/usr/bin/env node
// Registers the tslab ("TypeScript") Jupyter kernel for this project only, under .jupyter/,
// so that nothing global changes. Jupyter finds it through JUPYTER_PATH (npm start and the
// notebook tests set it). `tslab install` would do the same through a Python with
// jupyter_client; writing the kernel spec directly needs no Python at install time.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const binary = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'tslab.cmd' : 'tslab');
const kernelsDir = path.join(root, '.jupyter', 'share', 'jupyter', 'kernels');

if (!fs.existsSync(binary)) {
  console.error(`install-kernel: ${binary} not found; run npm install first`);
  process.exit(1);
}

// tslab's own kernel.json layout (tslab/python/install.py): config path and connection file apart.
const spec = {
  argv: [binary, 'kernel', '--config-path', '{connection_file}'],
  display_name: 'TypeScript',
  language: 'typescript',
};
const dir = path.join(kernelsDir, 'tslab');
fs.mkdirSync(dir, { recursive: true });
const tmp = path.join(dir, `kernel.json.${process.pid}.tmp`);
fs.writeFileSync(tmp, JSON.stringify(spec, null, 2) + '\n');
fs.renameSync(tmp, path.join(dir, 'kernel.json'));
console.log(`tslab kernel "TypeScript" registered in ${path.relative(root, dir)} (use JUPYTER_PATH=${path.join(root, '.jupyter', 'share', 'jupyter')})`);
