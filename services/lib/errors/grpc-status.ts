import { status } from '@grpc/grpc-js';
import { ErrorCode, LatfleetError } from './latfleet.error.js';

const GRPC_CODES: Record<ErrorCode, status> = {
  [ErrorCode.ValidationFailed]: status.INVALID_ARGUMENT,
  [ErrorCode.NotFound]: status.NOT_FOUND,
  [ErrorCode.Unauthenticated]: status.UNAUTHENTICATED,
  [ErrorCode.PermissionDenied]: status.PERMISSION_DENIED,
  [ErrorCode.Conflict]: status.ALREADY_EXISTS,
  [ErrorCode.Unavailable]: status.UNAVAILABLE,
  [ErrorCode.ResourceExhausted]: status.RESOURCE_EXHAUSTED,
  [ErrorCode.Internal]: status.INTERNAL,
};

export interface GrpcStatusError {
  code: status;
  message: string;
}

/** The one mapping from domain errors to gRPC status; anything else is INTERNAL, never UNKNOWN. */
export function toGrpcStatus(err: unknown): GrpcStatusError {
  if (err instanceof LatfleetError) return { code: GRPC_CODES[err.code], message: err.message };
  return { code: status.INTERNAL, message: 'internal error' };
}
