import { Metadata, status } from '@grpc/grpc-js';
import { ERROR_CLASSES } from './error-classes.js';
import { LatfleetError } from './latfleet.error.js';

export interface GrpcStatusError {
  code: status;
  message: string;
  /** `latfleet-error-reason`: the ERROR_REASONS key, for a client to tell errors of one status apart */
  metadata?: Metadata;
}

/** Trailing metadata key that carries an error's reason over gRPC. */
export const GRPC_REASON_KEY = 'latfleet-error-reason';

/** The one mapping from domain errors to gRPC status; anything else is INTERNAL, never UNKNOWN. */
export function toGrpcStatus(err: unknown): GrpcStatusError {
  if (err instanceof LatfleetError) {
    const metadata = new Metadata();
    metadata.set(GRPC_REASON_KEY, err.reason);
    return { code: ERROR_CLASSES[err.code].grpc, message: err.message, metadata };
  }
  return { code: status.INTERNAL, message: 'internal error' };
}
