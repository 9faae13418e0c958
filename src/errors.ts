/**
 * The one error class that says "the user's to fix": a bad flag or option, a missing or corrupt
 * file, a folder that cannot be written, a backend that is not installed. The command lines
 * report it in one line with exit code 2; any other error is a failure of this program (exit 1).
 */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
}
