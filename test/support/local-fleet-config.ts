import { loadConfig, type LatfleetConfig } from '../../services/lib/config/index.js';

/** A local fleet's configuration for an end-to-end suite: its own data dir, three random ports, 1 s heartbeats, quiet logs. */
export function localFleetConfig(dataDir: string, env: Record<string, string> = {}): LatfleetConfig {
  const base = 20_000 + Math.floor(Math.random() * 20_000);
  return loadConfig({
    LATFLEET_DATA_DIR: dataDir,
    LATFLEET_HTTP_PORT: String(base),
    LATFLEET_GRPC_PORT: String(base + 1),
    LATFLEET_PG_PORT: String(base + 2),
    LATFLEET_HEARTBEAT_MS: '1000',
    LATFLEET_LOG_LEVEL: 'warn',
    ...env,
  });
}
