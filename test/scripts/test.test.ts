/** scripts/test.ts: which files each tier runs, found by one recursive search. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testFiles } from '../../scripts/test';

test('unit takes every *.test.ts at any depth outside jupyter/; jupyter takes those inside it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rnn-test-tree-'));
  try {
    for (const file of [
      'a.test.ts',
      'models/b.test.ts',
      'kernels/wasm/c.test.ts',
      'jupyter/d.test.ts',
      'helper.ts',
      'models/fixture.json',
      'scripts/jupyter.test.ts',
    ]) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), '');
    }
    const names = (files: string[]): string[] =>
      files.map((f) => path.relative(dir, path.resolve(__dirname, '..', '..', f)));
    assert.deepEqual(names(testFiles('unit', dir)), [
      'a.test.ts',
      'kernels/wasm/c.test.ts',
      'models/b.test.ts',
      'scripts/jupyter.test.ts',
    ]);
    assert.deepEqual(names(testFiles('jupyter', dir)), ['jupyter/d.test.ts']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the project tree: every test file is in exactly one tier, and the notebooks are in jupyter', () => {
  const unit = testFiles('unit');
  const jupyter = testFiles('jupyter');
  assert.ok(unit.includes(path.join('test', 'settings.test.ts')));
  assert.ok(unit.includes(path.join('test', 'kernels', 'wasm.test.ts')));
  assert.ok(jupyter.includes(path.join('test', 'jupyter', 'notebooks.test.ts')));
  assert.equal(unit.filter((f) => jupyter.includes(f)).length, 0);
});
