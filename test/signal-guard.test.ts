/**
 * The signal guard (src/signal-guard.ts) lets oneDNN run its AVX2/AVX-512 kernels, which corrupt
 * the heap when a signal is handled on their thread (oneDNN issue #4845). These tests train on
 * tensorflow at the project's default settings in a child process (test/fixtures/
 * train-under-signals.ts) and storm it with signals: without the guard and with the cap lifted
 * that child dies within seconds. To see the storms fail, run this file with
 * `RNN_STORM_UNGUARDED=1`: the child then gets `RNN_SIGNAL_GUARD=0` and `ONEDNN_MAX_CPU_ISA=ALL`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { join } from 'node:path';
import { INTRA_OP_THREADS_ENV_VAR, ONEDNN_ISA_ENV_VAR } from '../src/backend';
import { LSTM_KERNEL_ENV_VAR, lstmAddon } from '../src/kernels/native/lstm-addon';
import { GUARDED_SIGNALS, SIGNAL_GUARD_ENV_VAR } from '../src/signal-guard';
import { tensorflowUnavailable } from './backends';

const root = join(__dirname, '..');
const fixture = join(__dirname, 'fixtures', 'train-under-signals.ts');
const linux = process.platform === 'linux';
const noTensorflow = tensorflowUnavailable() !== undefined && 'tfjs-node does not load here';

/** Whether signal `name` is set in a /proc status mask (hex, bit n-1 for signal n). */
function masks(mask: string, name: NodeJS.Signals): boolean {
  return !!((BigInt(`0x${mask || '0'}`) >> BigInt(constants.signals[name] - 1)) & 1n);
}

interface Report {
  readonly steps: number;
  readonly handled: Record<string, number>;
  readonly onednn: string;
  readonly lstmKernel: 'addon' | 'libtensorflow';
  readonly pid: number;
  readonly threads: readonly { tid: number; name: string; blocked: string; early: boolean }[];
  readonly children: { readonly sh: string; readonly python: string };
}

/**
 * Runs the fixture counting `signal`, sends it `count` times `everyMs` apart once training runs, then ends its stdin.
 * `lstm` says which kernels compute the LSTM: the project's addon (the default where built) or
 * libtensorflow's (`RNN_LSTM_KERNEL=0`), whose matmuls are oneDNN's: the code the guard protects.
 */
async function storm(
  signal: NodeJS.Signals,
  count: number,
  lstm: 'default' | 'libtensorflow',
  everyMs = 10,
): Promise<{ code: number | null; died: NodeJS.Signals | null; stderr: string; report?: Report }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [INTRA_OP_THREADS_ENV_VAR, ONEDNN_ISA_ENV_VAR, SIGNAL_GUARD_ENV_VAR, LSTM_KERNEL_ENV_VAR])
    delete env[name];
  if (lstm === 'libtensorflow') env[LSTM_KERNEL_ENV_VAR] = '0';
  if (process.env['RNN_STORM_UNGUARDED'] === '1')
    Object.assign(env, { [SIGNAL_GUARD_ENV_VAR]: '0', [ONEDNN_ISA_ENV_VAR]: 'ALL' });
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, signal], {
    cwd: root,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    const waitForStart = setInterval(() => {
      if (!running() || !stdout.includes('training')) {
        if (!running()) {
          clearInterval(waitForStart);
          resolve();
        }
        return;
      }
      clearInterval(waitForStart);
      let sent = 0;
      const send = setInterval(() => {
        if (sent === count || !running()) {
          clearInterval(send);
          resolve();
          return;
        }
        child.kill(signal);
        sent++;
      }, everyMs);
    }, 50);
  });
  child.stdin.end();
  const [code, died] = await closed;
  const last = stdout.trim().split('\n').pop() ?? '';
  return { code, died, stderr, ...(last.startsWith('{') ? { report: JSON.parse(last) as Report } : {}) };
}

function assertSurvived(r: Awaited<ReturnType<typeof storm>>, signal: NodeJS.Signals, count: number): Report {
  assert.equal(
    r.died,
    null,
    `the training process died of ${r.died}: ${r.stderr
      .split('\n')
      .filter((l) => /corrupt|free|fault|abort/i.test(l))
      .join(' | ')}`,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.report, 'the fixture reported');
  // Signals of one kind that arrive while one is pending merge into one: most, not all, are counted.
  const handled = r.report.handled[signal] ?? 0;
  assert.ok(handled >= count * 0.75, `handled ${handled} of ${count} ${signal}s while training`);
  return r.report;
}

test('the guard blocks the signals Node programs catch, and leaves the inspector, the profiler and faults alone', () => {
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2', 'SIGALRM', 'SIGCHLD', 'SIGWINCH'] as const)
    assert.ok(GUARDED_SIGNALS.includes(name), name);
  for (const name of [
    'SIGUSR1',
    'SIGPROF',
    'SIGSEGV',
    'SIGBUS',
    'SIGFPE',
    'SIGILL',
    'SIGABRT',
    'SIGKILL',
    'SIGSTOP',
  ] as const)
    assert.ok(!GUARDED_SIGNALS.includes(name), name);
  assert.equal(
    new Set(GUARDED_SIGNALS.map((s) => constants.signals[s])).size,
    GUARDED_SIGNALS.length,
    'each signal once',
  );
});

test('the guard is off, and oneDNN capped, where asked (RNN_SIGNAL_GUARD=0) or profiled (--cpu-prof)', {
  skip: noTensorflow || (!linux && 'Linux only'),
}, () => {
  const probe =
    "const b=require('./src/backend');b.setupBackend({backend:'tensorflow'}).then(i=>console.log(JSON.stringify({reason:i.reason,isa:process.env.ONEDNN_MAX_CPU_ISA??null,mask:/SigBlk:\\s*(\\S+)/.exec(require('fs').readFileSync('/proc/thread-self/status','utf8'))[1]})))";
  const run = (env: NodeJS.ProcessEnv, flags: string[] = []): { reason: string; isa: string | null; mask: string } => {
    const clean: NodeJS.ProcessEnv = { ...process.env, ...env };
    for (const name of [ONEDNN_ISA_ENV_VAR, SIGNAL_GUARD_ENV_VAR]) if (!(name in env)) delete clean[name];
    const out = execFileSync(process.execPath, [...flags, '--import', 'tsx', '-e', probe], {
      cwd: root,
      env: clean,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return JSON.parse(out.trim().split('\n').pop() ?? '');
  };
  const on = run({});
  assert.ok(masks(on.mask, 'SIGINT') && masks(on.mask, 'SIGTERM'), on.mask);
  assert.equal(on.isa, null, 'no cap with the guard');
  assert.match(on.reason, /oneDNN at full speed, signals kept off its threads; LSTM on [^;]+$/);
  const off = run({ [SIGNAL_GUARD_ENV_VAR]: '0' });
  assert.ok(!masks(off.mask, 'SIGINT'), off.mask);
  assert.equal(off.isa, process.arch === 'x64' ? 'AVX' : null);
  if (process.arch === 'x64')
    assert.match(
      off.reason,
      /oneDNN capped at AVX, its matmuls about 2x slower, because the signal guard is off: turned off by RNN_SIGNAL_GUARD=0; LSTM on [^;]+$/,
    );
  const profiled = run({}, ['--cpu-prof', `--cpu-prof-dir=${join(root, 'node_modules', '.cache', 'cpu-prof-test')}`]);
  assert.equal(profiled.isa, process.arch === 'x64' ? 'AVX' : null);
  const mine = run({ [ONEDNN_ISA_ENV_VAR]: 'AVX2' });
  assert.equal(mine.isa, 'AVX2', "the user's own cap wins");
  assert.match(mine.reason, /ONEDNN_MAX_CPU_ISA=AVX2 as set, signals kept off its threads; LSTM on [^;]+$/);
});

test('training on tensorflow survives a storm of SIGINTs (the interrupt signal) at its default settings; its threads block the guarded signals and its children do not', {
  skip: noTensorflow || (!linux && 'Linux only'),
  timeout: 180_000,
}, async (t) => {
  const count = 400;
  const report = assertSurvived(await storm('SIGINT', count, 'default'), 'SIGINT', count);
  t.diagnostic(
    `trained ${report.steps} steps, handled ${report.handled['SIGINT']} of ${count} SIGINTs; ${report.onednn}`,
  );
  assert.match(report.onednn, /^oneDNN at full speed, signals kept off its threads$/);
  if (lstmAddon() !== undefined) {
    assert.equal(report.lstmKernel, 'addon', 'the LSTM ran on the addon, its default where built');
    assert.ok(
      report.threads.some((th) => !th.early && th.name === 'rnn-lstm'),
      'the addon started its worker thread after the guard',
    );
  }
  const late = report.threads.filter((th) => !th.early);
  assert.ok(late.length > 0, 'libtensorflow (and the LSTM addon, where built) started threads of their own');
  const main = report.threads.find((th) => th.tid === report.pid);
  assert.ok(main, 'the main thread is listed');
  for (const th of [main, ...late]) {
    const open = GUARDED_SIGNALS.filter((s) => !masks(th.blocked, s));
    assert.deepEqual(open, [], `thread ${th.tid} (${th.name}) leaves open ${open.join(', ')}`);
  }
  assert.ok(
    report.threads.some((th) => th.early && !masks(th.blocked, 'SIGINT')),
    'a thread Node started before the guard takes the signals',
  );
  for (const [name, mask] of Object.entries(report.children)) {
    const blocked = GUARDED_SIGNALS.filter((s) => masks(mask, s));
    assert.deepEqual(blocked, [], `a ${name} started by the guarded process blocks ${blocked.join(', ')}`);
  }
});

for (const signal of ['SIGINT', 'SIGTERM', 'SIGWINCH'] as const) {
  test(`training on tensorflow with libtensorflow's LSTM kernels (oneDNN's matmuls) survives a storm of ${signal}s`, {
    skip: noTensorflow || (!linux && 'Linux only'),
    timeout: 180_000,
  }, async (t) => {
    const count = 400;
    const report = assertSurvived(await storm(signal, count, 'libtensorflow'), signal, count);
    t.diagnostic(`trained ${report.steps} steps, handled ${report.handled[signal]} of ${count} ${signal}s`);
  });
}
