/**
 * The backends that backend-dependent tests run on: cpu and wasm always, and tensorflow
 * (tfjs-node) where it loads. Where it does not load the tensorflow suites are skipped, saying
 * why, except under CI (`CI` set) or with `RNN_REQUIRE_TENSORFLOW=1`, where they fail: CI builds
 * tfjs-node (`npm run native`), so a missing native backend there is a broken build, not a
 * machine without it.
 */
import { describe, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { loadTensorflow, setupBackend, type BackendName } from '../src/backend';

/** Why tfjs-node cannot be used here, or undefined when it loads. Loads it once per process. */
let tensorflowProblem: string | undefined | null = null;
export function tensorflowUnavailable(): string | undefined {
  if (tensorflowProblem !== null) return tensorflowProblem;
  try {
    loadTensorflow();
    tensorflowProblem = undefined;
  } catch (err) {
    tensorflowProblem = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  }
  return tensorflowProblem;
}

/** True where a missing tensorflow backend fails the tests instead of skipping them. */
export function tensorflowRequired(): boolean {
  return Boolean(process.env.CI) || process.env.RNN_REQUIRE_TENSORFLOW === '1';
}

/** Every backend a backend-dependent test runs on here (tensorflow only where it loads). */
export function testBackends(): BackendName[] {
  return tensorflowUnavailable() === undefined ? ['cpu', 'wasm', 'tensorflow'] : ['cpu', 'wasm'];
}

/**
 * `describe(`${title} on ${backend}`)` for cpu, wasm and tensorflow, each with the backend set
 * up before its tests. On tensorflow where tfjs-node does not load: skipped with the reason, or
 * (see `tensorflowRequired`) one failing test that says so.
 */
export function describeOnBackends(
  title: string,
  body: (backend: BackendName) => void,
  backends: readonly BackendName[] = ['cpu', 'wasm', 'tensorflow'],
): void {
  for (const backend of backends) {
    const problem = backend === 'tensorflow' ? tensorflowUnavailable() : undefined;
    if (problem !== undefined) {
      if (tensorflowRequired()) {
        describe(`${title} on tensorflow`, () => {
          test('needs tfjs-node (build it with `npm run native`)', () => {
            assert.fail(`tfjs-node does not load: ${problem}`);
          });
        });
      } else {
        describe(`${title} on tensorflow`, {
          skip: `tfjs-node does not load (${problem}); \`npm run native\` builds it`,
        }, () => {});
      }
      continue;
    }
    describe(`${title} on ${backend}`, () => {
      before(async () => {
        await setupBackend({ backend });
      });
      body(backend);
    });
  }
}

/**
 * For a test that runs on `backend` in another process (a kernel, the CLI): false after skipping
 * `t` when tfjs-node does not load here, or failing it when the native backend is required.
 */
export function backendAvailable(t: TestContext, backend: BackendName): boolean {
  const problem = backend === 'tensorflow' ? tensorflowUnavailable() : undefined;
  if (problem === undefined) return true;
  if (tensorflowRequired()) assert.fail(`tfjs-node does not load: ${problem} (build it with \`npm run native\`)`);
  t.skip(`tfjs-node does not load here (${problem}); \`npm run native\` builds it`);
  return false;
}
