/** Entry-point plumbing shared by the two command lines (`npm run tutorial`, `npm run runs`). */
import { UsageError } from './errors';

/** The exit code for an error: 2 when it is the user's to fix (a UsageError: flag, input, folder), 1 for a failure of this program. */
export function exitCodeOf(error: unknown): 1 | 2 {
  return error instanceof UsageError ? 2 : 1;
}

/** An error as the one line a command line prints for it: `program: message` (the first line only, no stack). */
export function errorLine(program: string, error: unknown): string {
  return `${program}: ${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)}`;
}

/**
 * Runs `main` with the process arguments and sets the exit code it returns. `main` reports its
 * own errors; should it throw instead, that is one line on stderr and the code `exitCodeOf` gives.
 */
export function runAsMain(program: string, main: (argv: readonly string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${errorLine(program, e)}\n`);
      process.exitCode = exitCodeOf(e);
    },
  );
}
