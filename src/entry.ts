/** Entry-point plumbing shared by the two command lines (`npm run tutorial`, `npm run runs`). */
import { UsageError } from './errors';

/**
 * The operating system's errors that are the user's to fix (a path, a permission, a full or
 * read-only disk), in words. Any of them reaching a command line is a bad input, not a bug.
 */
const FILE_SYSTEM_ERRORS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'a folder where a file was expected',
  ENOTDIR: 'a file where a folder was expected',
  ENOENT: 'no such file or folder',
  EEXIST: 'already exists',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  ENAMETOOLONG: 'the path is too long',
};

/** The code of an operating-system error the user can fix (see FILE_SYSTEM_ERRORS), else undefined. */
function fileSystemCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code in FILE_SYSTEM_ERRORS ? code : undefined;
}

/** The exit code for an error: 2 when it is the user's to fix (a UsageError: flag, input, folder; a file-system error), 1 for a failure of this program. */
export function exitCodeOf(error: unknown): 1 | 2 {
  return error instanceof UsageError || fileSystemCode(error) !== undefined ? 2 : 1;
}

/**
 * An error as the one line a command line prints for it: `program: message` (the first line only,
 * no stack). A file-system error says what went wrong in words and names its path where Node's
 * message does not (`read` on a folder, `write` on a full disk name none).
 */
export function errorLine(program: string, error: unknown): string {
  const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
  const code = fileSystemCode(error);
  if (code === undefined) return `${program}: ${message}`;
  const where = (error as { path?: unknown }).path;
  const path = typeof where === 'string' && !message.includes(where) ? ` at ${where}` : '';
  return `${program}: ${FILE_SYSTEM_ERRORS[code]}${path} (${message})`;
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
