import type { ErrorReason } from '../../lib/errors/index.js';

/** A runner's failure: each value is a reason of the fleet's one error table (ERROR_REASONS). */
export enum RunnerErrorCode {
  /** The tool or adb exited non-zero, timed out or could not be started. */
  CommandFailed = 'COMMAND_FAILED',
  /** The tool ran but printed something the parser does not recognise. */
  OutputUnparsable = 'OUTPUT_UNPARSABLE',
  /** The model's format is not one this runner can execute. */
  UnsupportedModel = 'UNSUPPORTED_MODEL',
  /** The runner's options are inconsistent (caught at construction, before any job). */
  InvalidOptions = 'INVALID_OPTIONS',
}

// every runner code is a reason of the error table: the compiler checks it
RunnerErrorCode satisfies Record<string, ErrorReason>;

/** What went wrong while measuring on a device reached through an external tool. */
export class RunnerError extends Error {
  constructor(
    readonly code: RunnerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RunnerError';
  }

  static unparsable(tool: string, message: string): RunnerError {
    return new RunnerError(RunnerErrorCode.OutputUnparsable, `${tool}: ${message}`);
  }
}
