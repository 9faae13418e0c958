#!/usr/bin/env node
// `npm run kernel`: registers the tslab ("TypeScript") Jupyter kernel.
//
//   npm run kernel                       for this project only, under .jupyter/ (the default; npm
//                                        install does this). Jupyter finds it through JUPYTER_PATH,
//                                        which npm start and the tests set. Nothing global changes.
//   npm run kernel -- --user             in your Jupyter data folder (`jupyter --data-dir`), for
//                                        VS Code and any Jupyter you start yourself
//   npm run kernel -- --sys-prefix       in the Python environment's share/jupyter (Binder, conda)
//   npm run kernel -- --prefix DIR       in DIR/share/jupyter
//
// Outside the project the spec holds absolute paths to this Node.js and this project's tslab, so
// it works from programs started without your shell's PATH (VS Code from a desktop launcher).
// `tslab install` would do the same through a Python with jupyter_client; writing the kernel spec
// directly needs no Python for the default.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const {
  ROOT,
  KERNEL_NAME,
  projectJupyterPath,
  findPython,
  defaultUserDataDir,
  readKernelSpec,
} = require('./jupyter-env');

const USAGE = 'usage: npm run kernel [-- --user | --sys-prefix | --prefix DIR]';

/** @returns {never} */
function fail(message, code = 2) {
  console.error(`install-kernel: ${message}`);
  process.exit(code);
}

function parseArgs(argv) {
  let where = 'project';
  let prefix;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const set = (w) => {
      if (where !== 'project') fail(`${arg}: choose one of --user, --sys-prefix, --prefix (${USAGE})`);
      where = w;
    };
    if (arg === '--user') set('user');
    else if (arg === '--sys-prefix') set('sys-prefix');
    else if (arg === '--prefix' || arg.startsWith('--prefix=')) {
      set('prefix');
      prefix = arg === '--prefix' ? argv[++i] : arg.slice('--prefix='.length);
      if (!prefix) fail(`--prefix needs a folder (${USAGE})`);
    } else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else fail(`unknown argument "${arg}" (${USAGE})`);
  }
  return { where, prefix };
}

/** The share/jupyter folder to write into, and how to say where it is. */
function target({ where, prefix }) {
  if (where === 'project') return { dataDir: projectJupyterPath(), label: 'for this project' };
  if (where === 'prefix')
    return { dataDir: path.join(path.resolve(prefix), 'share', 'jupyter'), label: `in --prefix ${prefix}` };
  const found = findPython((p) => p.packages.jupyter_core !== null);
  if (where === 'sys-prefix') {
    if (found.python === undefined) fail(`--sys-prefix needs a Python with Jupyter: ${found.error}`, 1);
    return {
      dataDir: path.join(found.probe.prefix, 'share', 'jupyter'),
      label: `in the Python environment ${found.probe.prefix}`,
    };
  }
  // Jupyter's own answer (it honours JUPYTER_DATA_DIR and the platform's rules); else its documented default.
  const dataDir = found.probe?.dataDir ?? defaultUserDataDir();
  return { dataDir, label: 'in your Jupyter data folder' };
}

const args = parseArgs(process.argv.slice(2));
const tslabBin = path.join(ROOT, 'node_modules', 'tslab', 'bin', 'tslab');
const shim = path.join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'tslab.cmd' : 'tslab');
if (!fs.existsSync(tslabBin)) fail(`${tslabBin} not found; run npm install first`, 1);

const { dataDir, label } = target(args);
// tslab's own kernel.json layout (tslab/python/install.py): config path and connection file apart.
const spec =
  args.where === 'project'
    ? {
        argv: [shim, 'kernel', '--config-path', '{connection_file}'],
        display_name: 'TypeScript',
        language: 'typescript',
      }
    : {
        argv: [process.execPath, tslabBin, 'kernel', '--config-path', '{connection_file}'],
        display_name: 'TypeScript',
        language: 'typescript',
        metadata: { rnn_notebooks: { root: ROOT } },
      };
const dir = path.join(dataDir, 'kernels', KERNEL_NAME);
const file = path.join(dir, 'kernel.json');
const before = readKernelSpec(file).spec;
try {
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `kernel.json.${process.pid}.tmp`);
  fs.writeFileSync(tmp, `${JSON.stringify(spec, null, 2)}\n`);
  fs.renameSync(tmp, file);
} catch (e) {
  fail(`cannot write ${file}: ${e instanceof Error ? e.message : String(e)}`, 1);
}
const shown = args.where === 'project' ? path.relative(ROOT, dir) : dir;
console.log(`tslab kernel "TypeScript" registered ${label}: ${shown}`);
if (before !== undefined && JSON.stringify(before.argv) !== JSON.stringify(spec.argv)) {
  console.log(`  (it replaced a kernel spec of the same name that ran: ${before.argv.join(' ')})`);
}
if (args.where === 'project')
  console.log(`  Jupyter finds it with JUPYTER_PATH=${projectJupyterPath()} (npm start sets it)`);
else
  console.log(
    `  it runs ${process.execPath} and this project's tslab; run this again after moving the project or changing Node.js`,
  );
