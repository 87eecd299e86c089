import { status } from '@grpc/grpc-js';
import { ErrorCode } from './latfleet.error.js';

/**
 * The one mapping from an error's class to each transport's status: HTTP for the query service,
 * gRPC for control. A reason (ERROR_REASONS) has one class; a transport never looks further.
 */
export const ERROR_CLASSES: Record<ErrorCode, { http: number; grpc: status }> = {
  [ErrorCode.ValidationFailed]: { http: 400, grpc: status.INVALID_ARGUMENT },
  [ErrorCode.NotFound]: { http: 404, grpc: status.NOT_FOUND },
  [ErrorCode.Unauthenticated]: { http: 401, grpc: status.UNAUTHENTICATED },
  [ErrorCode.PermissionDenied]: { http: 403, grpc: status.PERMISSION_DENIED },
  [ErrorCode.Conflict]: { http: 409, grpc: status.ALREADY_EXISTS },
  [ErrorCode.Unavailable]: { http: 503, grpc: status.UNAVAILABLE },
  [ErrorCode.ResourceExhausted]: { http: 413, grpc: status.RESOURCE_EXHAUSTED },
  [ErrorCode.Internal]: { http: 500, grpc: status.INTERNAL },
};
