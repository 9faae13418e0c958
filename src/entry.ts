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

/**
 * A backend that ran out of memory, in words: libtensorflow's RESOURCE_EXHAUSTED (tfjs-node says
 * only "Invalid TF_Status: 8") and the wasm heap's aborts. The size check (settings.ts) refuses
 * what it knows to be too large before training; these are what it could not foresee.
 */
function outOfMemory(message: string): string | undefined {
  if (/\bTF_Status: 8\b/.test(message))
    return 'libtensorflow ran out of memory (resource exhausted); try a smaller --batch-size, --units or --layers';
  if (/memory access out of bounds|offset is out of bounds|^Aborted\(/.test(message))
    return 'the wasm backend ran out of its 4.3 GB heap; try a smaller --batch-size, --units or --layers, or the tensorflow backend';
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
}

/** The exit code for an error: 2 when it is the user's to fix (a UsageError: flag, input, folder; a file-system error; settings too large for the backend's memory), 1 for a failure of this program. */
export function exitCodeOf(error: unknown): 1 | 2 {
  const usersToFix =
    error instanceof UsageError || fileSystemCode(error) !== undefined || outOfMemory(messageOf(error)) !== undefined;
  return usersToFix ? 2 : 1;
}

/**
 * An error as the one line a command line prints for it: `program: message` (the first line only,
 * no stack). A file-system error says what went wrong in words and names its path where Node's
 * message does not (`read` on a folder, `write` on a full disk name none); so does a backend out of
 * memory.
 */
export function errorLine(program: string, error: unknown): string {
  const message = messageOf(error);
  const memory = outOfMemory(message);
  if (memory !== undefined) return `${program}: ${memory} (${message})`;
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
