/**
 * `npm run doctor` (scripts/doctor.js), run for real: here, where everything it needs is set up,
 * and in scratch copies of the project with a part missing or broken, each compared with what it
 * must say (a line marked ok, "problem" or NEEDED, a fix under each problem) and its exit code:
 * 1 only when something the notebooks need is missing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { chooseFrontEnd, probeAll, ROOT } from '../../scripts/jupyter-env';

interface Line {
  readonly status: 'ok' | 'problem' | 'NEEDED';
  readonly text: string;
  readonly fix?: string;
}

function doctor(
  root: string,
  env: Record<string, string | undefined> = {},
): { status: number | null; lines: Line[]; out: string } {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'doctor.js')], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 240_000,
  });
  assert.equal(r.stderr, '', 'doctor writes its report to stdout only');
  const lines: Line[] = [];
  for (const raw of r.stdout.split('\n')) {
    const m = /^(ok|problem|NEEDED) +(.*)$/.exec(raw);
    if (m) lines.push({ status: m[1] as Line['status'], text: m[2]! });
    const fix = /^ {9}fix: (.*)$/.exec(raw);
    if (fix) {
      const last = lines.pop();
      assert.ok(last, `a fix line with no line before it: ${raw}`);
      lines.push({ ...last, fix: fix[1]! });
    }
  }
  return { status: r.status, lines, out: r.stdout };
}

function line(lines: readonly Line[], re: RegExp): Line {
  const found = lines.find((l) => re.test(l.text));
  assert.ok(found, `no line matching ${re} in:\n${lines.map((l) => `${l.status} ${l.text}`).join('\n')}`);
  return found;
}

/** A scratch copy of the project's sources (no node_modules, dist or kernel unless asked for). */
function copyProject(t: TestContext, parts: { dist?: boolean; nodeModules?: boolean; kernel?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'rnn-doctor-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Timestamps kept: whether dist/ is current is judged by them.
  for (const p of ['package.json', 'scripts', 'src'])
    cpSync(join(ROOT, p), join(dir, p), { recursive: true, preserveTimestamps: true });
  if (parts.dist) cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true, preserveTimestamps: true });
  if (parts.nodeModules) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'junction');
  if (parts.kernel) {
    mkdirSync(join(dir, '.jupyter', 'share', 'jupyter'), { recursive: true });
    cpSync(
      join(ROOT, '.jupyter', 'share', 'jupyter', 'kernels'),
      join(dir, '.jupyter', 'share', 'jupyter', 'kernels'),
      { recursive: true },
    );
  }
  return dir;
}

describe('npm run doctor here', () => {
  test('says when this Node.js line is past its end of life, and which to install; not before', () => {
    const major = Number(process.versions.node.split('.')[0]);
    // Release dates from nodejs.org: the table scripts/doctor.js holds, for the lines CI runs.
    const endOfLife: Record<number, string> = { 20: '2026-04-30', 22: '2027-04-30', 24: '2028-04-30' };
    const date = endOfLife[major];
    if (date === undefined) return; // a line CI does not run: nothing to compare against
    const eol = /^Node\.js \d+ reached its end of life on /;
    const after = doctor(ROOT, { RNN_DOCTOR_TODAY: '2030-01-01' });
    const line20 = line(after.lines, eol);
    assert.equal(line20.text, `Node.js ${major} reached its end of life on ${date}: it gets no security fixes`);
    assert.equal(line20.status, 'problem');
    assert.match(
      line20.fix ?? '',
      /^install Node\.js 24, the current LTS line .*; this project is tested on Node\.js 24 and 20$/,
    );
    assert.equal(after.status, 0, 'an old Node.js is a warning, not a stop');
    const before = doctor(ROOT, { RNN_DOCTOR_TODAY: '2025-01-01' });
    assert.equal(
      before.lines.some((l) => eol.test(l.text)),
      false,
    );
  });

  test('reports Node, the backends, the front-end npm start opens and the kernel, and exits 0', () => {
    const r = doctor(ROOT);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /^rnn-notebooks doctor: /);
    assert.equal(
      line(r.lines, /^Node\.js /).text.startsWith(
        `Node.js ${process.versions.node} (needs >=20), N-API ${process.versions.napi}, ${process.platform} ${process.arch}`,
      ),
      true,
    );
    assert.equal(line(r.lines, /^npm \d/).status, 'ok');
    assert.equal(line(r.lines, /^dist\/ is current with src\/$/).status, 'ok');
    assert.equal(line(r.lines, /^backend wasm loads$/).status, 'ok');
    assert.equal(line(r.lines, /^backend cpu loads$/).status, 'ok');
    assert.match(line(r.lines, /^the notebooks' backend 'auto' picks /).text, /picks (tensorflow|wasm) \(/);
    // tfjs-node: ok where it loads, else a problem (optional) with its real reason.
    const native = spawnSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const tf = line(r.lines, /^backend tensorflow/);
    if (native.status === 0) {
      assert.equal(tf.status, 'ok');
      const onednn = line(r.lines, /^libtensorflow: /);
      assert.match(
        onednn.text,
        /^libtensorflow: (oneDNN at full speed, signals kept off its threads|oneDNN capped at AVX, .+) \(TF_NUM_INTRAOP_THREADS \S+, ONEDNN_MAX_CPU_ISA \S+\)$/,
      );
      assert.equal(onednn.status, /capped/.test(onednn.text) ? 'problem' : 'ok');
    } else {
      assert.equal(tf.status, 'problem');
      assert.ok(tf.fix);
      if (/Cannot find module '@tensorflow\/tfjs-node'/.test(native.stderr)) assert.match(tf.text, /is not installed/);
      else assert.match(tf.text, /is installed but does not load: /);
    }
    const chosen = chooseFrontEnd(probeAll());
    if (chosen)
      assert.match(
        line(r.lines, /^npm start opens /).text,
        new RegExp(`^npm start opens ${chosen.name} ${chosen.version.replace(/\./g, '\\.')} from `),
      );
    assert.equal(
      line(r.lines, /^kernel "tslab" registered for this project: \.jupyter\/share\/jupyter\/kernels\/tslab/).status,
      'ok',
    );
    assert.ok(r.lines.every((l) => l.status !== 'NEEDED'));
    assert.ok(
      r.lines.filter((l) => l.status === 'problem').every((l) => l.fix),
      'every problem has its fix',
    );
  });
  test('oneDNN capped because the signal guard is off is a problem with its fix, not a failure', (t) => {
    const native = spawnSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (native.status !== 0 || process.arch !== 'x64') return t.skip('needs tfjs-node loading on x86-64');
    const r = doctor(ROOT, { RNN_SIGNAL_GUARD: '0', ONEDNN_MAX_CPU_ISA: '' });
    assert.equal(r.status, 0, r.out);
    const onednn = line(r.lines, /^libtensorflow: /);
    assert.equal(onednn.status, 'problem');
    assert.match(
      onednn.text,
      /^libtensorflow: oneDNN capped at AVX, its matmuls about 2x slower, because the signal guard is off: turned off by RNN_SIGNAL_GUARD=0 \(TF_NUM_INTRAOP_THREADS \S+, ONEDNN_MAX_CPU_ISA AVX\)$/,
    );
    assert.match(onednn.fix ?? '', /koffi/);
  });
  test('a missing Chromium is a problem with its fix, not a failure', () => {
    const r = doctor(ROOT, { RNN_CHROMIUM: '/nonexistent/chromium' });
    assert.equal(r.status, 0, r.out);
    const c = line(r.lines, /^Chromium for the browser tests not found at \/nonexistent\/chromium/);
    assert.equal(c.status, 'problem');
    assert.match(c.fix ?? '', /apt-get install chromium/);
  });
  test('an RNN_PYTHON that does not exist and an RNN_BACKEND that is not a backend are needed fixes', () => {
    const r = doctor(ROOT, { RNN_PYTHON: '/nonexistent/python', RNN_BACKEND: 'gpu' });
    assert.equal(r.status, 1, r.out);
    assert.equal(
      line(r.lines, /^RNN_PYTHON=\/nonexistent\/python cannot be used: \/nonexistent\/python: not found$/).status,
      'NEEDED',
    );
    assert.equal(line(r.lines, /^no Jupyter front-end found in RNN_PYTHON=\/nonexistent\/python$/).status, 'NEEDED');
    const auto = line(r.lines, /^backend 'auto' fails: RNN_BACKEND="gpu" is not a backend/);
    assert.equal(auto.status, 'NEEDED');
    assert.match(auto.fix ?? '', /unset RNN_BACKEND/);
  });
});

describe('npm run doctor: arguments', () => {
  test('takes none: an unknown one exits 2 with one line', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'doctor.js'), '--fix'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'doctor: unknown argument "--fix" (usage: npm run doctor; it takes no arguments)\n');
  });
});

describe('npm run doctor in a broken copy of the project', () => {
  test('before npm install: dependencies, dist/ and the kernel are needed, each with its fix', (t) => {
    const dir = copyProject(t);
    const r = doctor(dir);
    assert.equal(r.status, 1, r.out);
    const deps = line(r.lines, /^dependencies missing from node_modules: @tensorflow\/tfjs, /);
    assert.equal(deps.status, 'NEEDED');
    assert.equal(deps.fix, 'npm install');
    assert.equal(line(r.lines, /^dist\/ is not built/).fix, 'npm run build (npm install does it too)');
    assert.equal(line(r.lines, /^kernel not registered for this project/).fix, 'npm run kernel');
    assert.equal(line(r.lines, /^backends not checked: they load through dist\/$/).status, 'NEEDED');
  });
  test('a source file newer than dist/ makes dist/ stale, naming the file', (t) => {
    const dir = copyProject(t, { dist: true, nodeModules: true, kernel: true });
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(dir, 'src', 'train.ts'), later, later);
    const r = doctor(dir);
    assert.equal(r.status, 1, r.out);
    const stale = line(r.lines, /^dist\/ is older than src\/ \(src\/train\.ts\)/);
    assert.equal(stale.status, 'NEEDED');
    assert.match(stale.fix ?? '', /^npm run build/);
    assert.ok(r.lines.filter((l) => l.status === 'NEEDED').length === 1, `only dist/ is wrong here:\n${r.out}`);
  });
});
