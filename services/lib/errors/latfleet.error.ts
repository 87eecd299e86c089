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

/** A domain error: services throw these, one filter per transport maps the code to a status. */
export class LatfleetError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The input field at fault, when there is one (e.g. `protocol.timedRuns`). */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'LatfleetError';
  }

  static validation(field: string, message: string): LatfleetError {
    return new LatfleetError(ErrorCode.ValidationFailed, `${field}: ${message}`, field);
  }

  static notFound(what: string, id: string): LatfleetError {
    return new LatfleetError(ErrorCode.NotFound, `${what} ${id} not found`);
  }
}
