/** Entry-point plumbing shared by the two command lines (`npm run tutorial`, `npm run runs`). */

/**
 * Runs `main` with the process arguments and sets the exit code it returns; an unexpected
 * failure is one line on stderr, prefixed with `program`, and exit code 1.
 */
export function runAsMain(program: string, main: (argv: readonly string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${program}: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
