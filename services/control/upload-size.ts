import type * as protoLoader from '@grpc/proto-loader';
import { agentServiceDefinition, type UploadResultsRequest } from '../lib/proto/index.js';

let serialize: ((msg: UploadResultsRequest) => Buffer) | undefined;

/** Wire size of an upload's messages, serialized exactly as gRPC sent them. */
export function uploadBytes(parts: readonly UploadResultsRequest[]): number {
  serialize ??= (() => {
    const def = agentServiceDefinition();
    const service = def['latfleet.v1.AgentService'] as protoLoader.ServiceDefinition;
    return service['UploadResults']!.requestSerialize as (msg: UploadResultsRequest) => Buffer;
  })();
  return parts.reduce((sum, p) => sum + serialize!(p).length, 0);
}
