/** `npm run runs -- list|compare`: tables on stdout, skipped files on stderr, bad input one line and exit 2. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Writable } from 'node:stream';
import { main } from '../../src/runs/cli';
import { writeRunRecord } from '../../src/runs';
import { checkFits } from '../../src/settings';
import { fakeRecord } from './fixtures';

let dir: string;
const lstm = { ...fakeRecord({ cell: 'lstm' }, 0.75, '2026-11-01T09:00:00Z'), id: '20261101-090000-lstm-u8-aaaa' };
const gru = {
  ...fakeRecord({ cell: 'gru', learningRate: 0.01 }, 0.8, '2026-11-02T10:05:00Z'),
  id: '20261102-100500-gru-u8-bbbb',
};

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'rnn-runs-cli-'));
  await writeRunRecord(gru, { runsDir: dir });
  await writeRunRecord(lstm, { runsDir: dir });
  writeFileSync(path.join(dir, 'broken.json'), '{"format": "rnn-notebooks/run@1",');
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function collector(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done): void {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

async function runs(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = collector();
  const err = collector();
  const code = await main(args, out.stream, err.stream);
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('runs CLI', () => {
  test('list: one row per run, oldest first; a damaged file is named on stderr and skipped', async () => {
    const r = await runs(['list', '--runs-dir', dir]);
    assert.equal(r.code, 0);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(
      lines[0] ?? '',
      /^id\s+date \(UTC\)\s+cell\s+units\s+layers\s+backend\s+data\s+examples\s+test acc\s+seconds$/,
    );
    assert.match(
      lines[1] ?? '',
      /^20261101-090000-lstm-u8-aaaa\s+2026-11-01 09:00\s+lstm\/fused\s+8\s+1\s+cpu\s+bundled 30\s+90\s+0\.7500\s+12\.5$/,
    );
    assert.match(lines[2] ?? '', /^20261102-100500-gru-u8-bbbb\s+2026-11-02 10:05\s+gru\s/);
    assert.equal(lines.length, 3);
    assert.match(r.stderr, /^runs: skipped .*broken\.json: not valid JSON/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  test('a record from a machine larger than this one (units 30000) lists and compares: fitting is not validity', async () => {
    const big = {
      ...fakeRecord({ cell: 'lstm', units: 30_000 }, 0.9, '2026-11-03T08:00:00Z'),
      id: '20261103-080000-lstm-u30000-cccc',
    };
    // The same settings are refused before training on this machine (27 GB of weights and Adam state > its memory)...
    assert.throws(() => checkFits(big.config, { memoryBytes: totalmem() }), /units 30000 needs about \d+(\.\d)? GB/);
    const bigDir = mkdtempSync(path.join(tmpdir(), 'rnn-runs-big-'));
    try {
      await writeRunRecord(big, { runsDir: bigDir });
      await writeRunRecord(lstm, { runsDir: bigDir });
      // ...but the record of a run made elsewhere is read, listed and compared here.
      const list = await runs(['list', '--runs-dir', bigDir]);
      assert.equal(list.code, 0, list.stderr);
      assert.equal(list.stderr, '');
      assert.match(list.stdout, /^20261103-080000-lstm-u30000-cccc\s+2026-11-03 08:00\s+lstm\/fused\s+30000\s/m);
      const compare = await runs(['compare', '--runs-dir', bigDir, lstm.id, big.id]);
      assert.equal(compare.code, 0, compare.stderr);
      assert.match(compare.stdout, /units/);
      assert.match(compare.stdout, /30000/);
    } finally {
      rmSync(bigDir, { recursive: true, force: true });
    }
  });

  test('compare: the runs named (ids or prefixes), with the differing config fields and Δ acc', async () => {
    const r = await runs(['compare', '--runs-dir', dir, '20261102', lstm.id]);
    assert.equal(r.code, 0);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', / learningRate .* Δ acc$/);
    assert.match(lines[1] ?? '', /^20261102-100500-gru-u8-bbbb .* 0\.01 .* 0\.8000 .* -$/);
    assert.match(lines[2] ?? '', /^20261101-090000-lstm-u8-aaaa .* 0\.001 .* 0\.7500 .* -0\.0500$/);
    const all = await runs(['compare', '--runs-dir', dir]);
    assert.equal(all.stdout.trimEnd().split('\n').length, 3, 'no ids: every run');
  });

  test('an empty or missing default folder says so and exits 0', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'rnn-runs-empty-'));
    try {
      const r = await runs(['list', '--runs-dir', empty]);
      assert.deepEqual(r, { code: 0, stdout: `no run records in ${empty}\n`, stderr: '' });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  for (const [args, message] of [
    [[], /expected a command: list or compare/],
    [['show'], /unknown command "show"; expected list or compare/],
    [['list', 'abc'], /list takes no run ids \(got abc\); use compare/],
    [['compare', 'nope'], /no run "nope" \(2 recorded\) in /],
    [['compare', '2026'], /run id "2026" is ambiguous/],
    [['list', '--runs-dir', '/nonexistent/runs'], /--runs-dir \/nonexistent\/runs does not exist/],
    [['list', '--frobnicate'], /Unknown option '--frobnicate'/],
  ] as const) {
    test(`bad input ${args.join(' ') || '(none)'} exits 2 with one line`, async () => {
      const withDir = (args as readonly string[]).includes('--runs-dir') ? [...args] : [...args, '--runs-dir', dir];
      const r = await runs(withDir);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      const lines = r.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.includes('broken.json'));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0] ?? '', message);
      assert.match(lines[0] ?? '', /^runs: /);
    });
  }

  test('runs as a program: the default folder is runs/ in the current directory', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'rnn-runs-cwd-'));
    try {
      const cli = path.join(__dirname, '..', '..', 'src', 'runs', 'cli.ts');
      // tsx by path: `--import tsx` resolves from the current directory, a temporary one here.
      const tsx = pathToFileURL(require.resolve('tsx')).href;
      const r = spawnSync(process.execPath, ['--import', tsx, cli, 'list'], { cwd, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'no run records in runs\n');
      const bad = spawnSync(process.execPath, ['--import', tsx, cli, 'lst'], {
        cwd,
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(bad.status, 2);
      assert.equal(bad.stderr, 'runs: unknown command "lst"; expected list or compare (see --help)\n');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
