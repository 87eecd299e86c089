import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository's proto/ folder, found from this module whether it runs from services/ or dist/. */
export function protoRoot(): string {
  let dir = import.meta.dirname;
  while (dir !== dirname(dir)) {
    if (existsSync(join(dir, 'proto', 'latfleet', 'v1'))) return join(dir, 'proto');
    dir = dirname(dir);
  }
  throw new Error('proto/latfleet/v1 not found above ' + import.meta.dirname);
}

export const AGENT_SERVICE_PROTO = 'latfleet/v1/agent_service.proto';

/** proto-loader options; `longs: Number` matches ts-proto's forceLong=number. */
export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: Number,
  defaults: true,
  oneofs: true,
  includeDirs: [] as string[],
};

export function protoLoaderOptions() {
  return { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] };
}

let definition: PackageDefinition | undefined;

/** The AgentService package definition (loaded once per process) with the shared loader options. */
export function agentServiceDefinition(): PackageDefinition {
  definition ??= loadSync(join(protoRoot(), AGENT_SERVICE_PROTO), protoLoaderOptions());
  return definition;
}
