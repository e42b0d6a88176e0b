// Exit codes agreed in docs/interfaces.md "Running it".
export const EXIT_OK = 0;
export const EXIT_PROBLEM = 1;
export const EXIT_USAGE = 2;

/**
 * An error the user can fix: bad usage or bad input. The message must say what and where
 * (argument, file, line/field or byte offset); `hint` is one line on how to fix it.
 */
export class UsageError extends Error {
  constructor(message: string, readonly hint?: string, readonly exitCode: number = EXIT_USAGE) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The job ran and found a problem (exit 1), e.g. a failed self-check. */
export class ProblemError extends Error {
  readonly exitCode = EXIT_PROBLEM;
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'ProblemError';
  }
}
