/** The class of an error: what a transport maps to its status (one table, ERROR_CLASSES). */
export enum ErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  NotFound = 'NOT_FOUND',
  Unauthenticated = 'UNAUTHENTICATED',
  PermissionDenied = 'PERMISSION_DENIED',
  Conflict = 'CONFLICT',
  Unavailable = 'UNAVAILABLE',
  /** A configured limit (size, count) was exceeded: sending the same again will not help. */
  ResourceExhausted = 'RESOURCE_EXHAUSTED',
  Internal = 'INTERNAL',
}

/**
 * What exactly went wrong, for a client to tell apart (`error.reason` over HTTP, the gRPC status
 * message's prefix): per resource and cause, each of one class. The README's "Errors" section lists
 * them (a test keeps it equal to this table).
 */
export const ERROR_REASONS = {
  INPUT_INVALID: { code: ErrorCode.ValidationFailed, description: 'a field of the request is invalid (`field` names it)' },
  MODEL_SPEC_INVALID: { code: ErrorCode.ValidationFailed, description: 'a variant or model name, knob or imported model file is invalid' },
  PROTOCOL_INVALID: { code: ErrorCode.ValidationFailed, description: 'a measurement protocol field is invalid' },
  STUDY_NOT_FOUND: { code: ErrorCode.NotFound, description: 'no study with that id (or name)' },
  RUN_NOT_FOUND: { code: ErrorCode.NotFound, description: 'no run with that id' },
  DEVICE_NOT_FOUND: { code: ErrorCode.NotFound, description: 'no device with that name or id' },
  MODEL_NOT_FOUND: { code: ErrorCode.NotFound, description: 'no model with that name or sha256' },
  VARIANT_NOT_FOUND: { code: ErrorCode.NotFound, description: 'no variant with that label in the study' },
  ENROLLMENT_TOKEN_NOT_FOUND: { code: ErrorCode.NotFound, description: 'no enrollment token with that id' },
  NOT_FOUND: { code: ErrorCode.NotFound, description: 'no such route or resource' },
  UNAUTHENTICATED: { code: ErrorCode.Unauthenticated, description: 'missing or invalid API key, agent credential or enrollment token' },
  PERMISSION_DENIED: { code: ErrorCode.PermissionDenied, description: 'authenticated, but not allowed (a job, model or name that is not the caller’s)' },
  CONFLICT: { code: ErrorCode.Conflict, description: 'the resource is not in a state that allows it (a finished study cancelled, a name taken)' },
  LIMIT_EXCEEDED: { code: ErrorCode.ResourceExhausted, description: 'a configured limit (size, count, concurrent uploads) was exceeded; nothing was stored' },
  UNAVAILABLE: { code: ErrorCode.Unavailable, description: 'the database is unreachable or a query ran too long; try again' },
  INTERNAL: { code: ErrorCode.Internal, description: 'a bug: the server logged it' },
  // an agent's runner failing a job (RunnerErrorCode): reported as a failed attempt's reason
  COMMAND_FAILED: { code: ErrorCode.Unavailable, description: 'runner: the tool or adb exited non-zero, timed out or could not be started' },
  OUTPUT_UNPARSABLE: { code: ErrorCode.Internal, description: 'runner: the tool ran but printed something the parser does not recognise' },
  UNSUPPORTED_MODEL: { code: ErrorCode.ValidationFailed, description: 'runner: the model’s format is not one this runner can execute' },
  INVALID_OPTIONS: { code: ErrorCode.ValidationFailed, description: 'runner: the runner’s options are inconsistent (caught at start, before any job)' },
} as const satisfies Record<string, { code: ErrorCode; description: string }>;

export type ErrorReason = keyof typeof ERROR_REASONS;

/** The reason a class of error has when nothing more specific is known. */
const GENERIC: Record<ErrorCode, ErrorReason> = {
  [ErrorCode.ValidationFailed]: 'INPUT_INVALID',
  [ErrorCode.NotFound]: 'NOT_FOUND',
  [ErrorCode.Unauthenticated]: 'UNAUTHENTICATED',
  [ErrorCode.PermissionDenied]: 'PERMISSION_DENIED',
  [ErrorCode.Conflict]: 'CONFLICT',
  [ErrorCode.Unavailable]: 'UNAVAILABLE',
  [ErrorCode.ResourceExhausted]: 'LIMIT_EXCEEDED',
  [ErrorCode.Internal]: 'INTERNAL',
};

/** A domain error: services throw these, one filter per transport maps the code to a status. */
export class LatfleetError extends Error {
  /** what exactly went wrong (ERROR_REASONS), of the class `code` */
  readonly reason: ErrorReason;

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The input field at fault, when there is one (e.g. `protocol.timedRuns`). */
    readonly field?: string,
    reason?: ErrorReason,
  ) {
    super(message);
    this.name = 'LatfleetError';
    if (reason && ERROR_REASONS[reason].code !== code) throw new TypeError(`error reason ${reason} is not of class ${code}`);
    this.reason = reason ?? GENERIC[code];
  }

  /** An error of a reason, of the reason's class. */
  static of(reason: ErrorReason, message: string, field?: string): LatfleetError {
    return new LatfleetError(ERROR_REASONS[reason].code, message, field, reason);
  }

  static validation(field: string, message: string, reason: ErrorReason = 'INPUT_INVALID'): LatfleetError {
    return LatfleetError.of(reason, `${field}: ${message}`, field);
  }

  /** `what`: 'study', 'run', 'enrollment token' … — the reason is STUDY_NOT_FOUND, RUN_NOT_FOUND … when the table has it. */
  static notFound(what: string, id: string): LatfleetError {
    const specific = `${what.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_NOT_FOUND`;
    const reason: ErrorReason = specific in ERROR_REASONS ? (specific as ErrorReason) : 'NOT_FOUND';
    return LatfleetError.of(reason, `${what} ${id} not found`);
  }
}
