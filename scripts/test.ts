/**
 * Runs the tests: every `*.test.ts` under test/, found by one recursive search, through node:test.
 *
 *   node --import tsx scripts/test.ts [unit|jupyter|all] [node --test flags...]
 *
 * - `unit`: everything outside test/jupyter/, two files at a time (`npm run test:unit`);
 * - `jupyter`: test/jupyter/, the notebooks and browsers through real Jupyter, one at a time
 *   (they share the kernel, the ports and two cores);
 * - `all` (the default): `unit`, then `jupyter` (what `npm test` runs after the checks and build).
 * Further arguments go to `node --test`, e.g. `--test-name-pattern 'notebook 0[1-4]-'`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const TEST_DIR = path.join(ROOT, 'test');
const TIERS = ['unit', 'jupyter', 'all'] as const;
type Tier = (typeof TIERS)[number];

/** The test files of a tier, relative to the project root, sorted. */
export function testFiles(tier: Exclude<Tier, 'all'>, dir: string = TEST_DIR): string[] {
  const jupyter = (file: string): boolean => file.split(path.sep)[0] === 'jupyter';
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts') && jupyter(file) === (tier === 'jupyter'))
    .map((file) => path.relative(ROOT, path.join(dir, file)))
    .sort();
}

function run(tier: Exclude<Tier, 'all'>, extra: readonly string[]): number {
  const files = testFiles(tier);
  if (files.length === 0) {
    process.stderr.write(`test: no ${tier} test files under ${path.relative(ROOT, TEST_DIR)}/\n`);
    return 1;
  }
  const concurrency = tier === 'unit' ? 2 : 1;
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...extra, ...files],
    { cwd: ROOT, stdio: 'inherit' },
  );
  return r.status ?? 1;
}

function main(argv: readonly string[]): number {
  const [first, ...rest] = argv;
  const tier: Tier = first !== undefined && (TIERS as readonly string[]).includes(first) ? (first as Tier) : 'all';
  const extra = tier === first ? rest : argv;
  if (tier !== 'all') return run(tier, extra);
  const unit = run('unit', extra);
  return unit !== 0 ? unit : run('jupyter', extra);
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
