import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DownloadError } from '../src/data/download';
import { errorLine, exitCodeOf } from '../src/entry';
import { UsageError } from '../src/errors';

test("exit code 2 for what the user fixes (UsageError and its kinds), 1 for a failure of the program's own", () => {
  assert.equal(exitCodeOf(new UsageError('--hidden must be a whole number')), 2);
  assert.equal(exitCodeOf(new DownloadError('http://127.0.0.1:1/x.gz', 'connection refused')), 2);
  assert.equal(exitCodeOf(new TypeError("Cannot read properties of undefined (reading 'backend')")), 1);
  assert.equal(exitCodeOf(new Error('out of memory')), 1);
  assert.equal(exitCodeOf('a thrown string'), 1);
});

test('an error is one line: the program, then the first line of the message, no stack', () => {
  assert.equal(errorLine('tutorial', new Error('first\n    at somewhere')), 'tutorial: first');
  assert.equal(errorLine('runs', 'plain'), 'runs: plain');
});
