#!/usr/bin/env node
/**
 * `npm run runs -- list|compare [--runs-dir DIR] [ids...]`: tables of the run records that
 * `npm run tutorial` and the notebooks write. The table goes to stdout; skipped (damaged) record
 * files are named on stderr, one line each. Bad flags or input: one line on stderr and exit
 * code 2; a failure of this program: one line and exit code 1.
 */
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { UsageError } from '../errors';
import { loadRunRecords, selectRuns } from './load';
import { WRITE_RUN_DEFAULTS } from './record';
import { formatTable } from '../format';
import { compareRunsTable, runsTable } from './table';
import { errorLine, exitCodeOf, runAsMain } from '../entry';

const USAGE = `usage: npm run runs -- <command> [--runs-dir DIR] [ids...]
  list                 one row per recorded run, oldest first
  compare [ids...]     the given runs (ids or unique prefixes; default all) side by side:
                       config fields that differ, and test accuracy minus the first run's
  --runs-dir DIR       folder of the records (default ${WRITE_RUN_DEFAULTS.runsDir}/, where npm run tutorial writes them)
  --help`;

/** A parsed `npm run runs` command line. */
export interface RunsCliConfig {
  readonly command: 'list' | 'compare';
  readonly runsDir: string;
  /** True when --runs-dir was given: then a missing folder is an error, not "nothing recorded yet". */
  readonly runsDirGiven: boolean;
  readonly ids: readonly string[];
}

/** Parses argv (without `node cli.js`); throws UsageError for anything wrong. */
export function parseRunsCli(argv: readonly string[]): RunsCliConfig | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: { 'runs-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? (err.message.split('\n')[0] ?? 'bad flags') : 'bad flags');
  }
  if (parsed.values.help) return 'help';
  const [command, ...ids] = parsed.positionals;
  if (command === undefined) throw new UsageError('expected a command: list or compare');
  if (command !== 'list' && command !== 'compare')
    throw new UsageError(`unknown command "${command}"; expected list or compare`);
  if (command === 'list' && ids.length > 0)
    throw new UsageError(`list takes no run ids (got ${ids.join(' ')}); use compare`);
  const runsDir = parsed.values['runs-dir'];
  if (runsDir !== undefined && runsDir.trim() === '') throw new UsageError('--runs-dir must name a folder, got ""');
  return { command, runsDir: runsDir ?? WRITE_RUN_DEFAULTS.runsDir, runsDirGiven: runsDir !== undefined, ids };
}

/** Runs a parsed command; returns the text for stdout. Warnings go to `onWarning`. */
export async function runRunsCommand(config: RunsCliConfig, onWarning: (message: string) => void): Promise<string> {
  if (config.runsDirGiven && (await stat(config.runsDir).catch(() => undefined)) === undefined) {
    throw new UsageError(`--runs-dir ${config.runsDir} does not exist`);
  }
  const { runs } = await loadRunRecords(config.runsDir, { onWarning });
  if (runs.length === 0 && config.ids.length === 0) return `no run records in ${config.runsDir}`;
  if (config.command === 'list') return formatTable(runsTable(runs.map((r) => r.record)));
  let chosen;
  try {
    chosen = config.ids.length > 0 ? selectRuns(runs, config.ids) : runs;
  } catch (err) {
    throw new UsageError(`${err instanceof Error ? err.message : String(err)} in ${config.runsDir}`);
  }
  return formatTable(compareRunsTable(chosen.map((r) => r.record)));
}

/** Entry point: returns the process exit code. */
export async function main(
  argv: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const fail = (e: unknown, hint = ''): number => {
    // Flags and unreadable folders are the user's to fix: exit 2; anything else is ours: exit 1.
    err.write(`${errorLine('runs', e)}${hint}\n`);
    return exitCodeOf(e);
  };
  let config: RunsCliConfig | 'help';
  try {
    config = parseRunsCli(argv);
  } catch (e) {
    return fail(e, ' (see --help)');
  }
  if (config === 'help') {
    out.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const text = await runRunsCommand(config, (message) => err.write(`runs: ${message}\n`));
    out.write(`${text}\n`);
    return 0;
  } catch (e) {
    return fail(e);
  }
}

if (require.main === module) runAsMain('runs', (argv) => main(argv));
