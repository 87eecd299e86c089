import { resolve } from 'node:path';
import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

const schema = z.object({
  DATABASE_URL: z.string().url().optional(),
  LATFLEET_DATA_DIR: z.string().min(1).default('.latfleet'),
  LATFLEET_PG_PORT: port(54329),
  LATFLEET_GRPC_HOST: z.string().min(1).default('127.0.0.1'),
  LATFLEET_GRPC_PORT: port(50051),
  LATFLEET_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  LATFLEET_HTTP_PORT: port(3000),
  LATFLEET_CONTROL_ADDRESS: z.string().min(1).optional(),
  LATFLEET_ENROLLMENT_TOKEN: z.string().min(16).optional(),
  LATFLEET_AGENT_NAME: z.string().min(1).optional(),
  LATFLEET_AGENT_CORE: z.coerce.number().int().min(-1).default(-1),
  LATFLEET_HEARTBEAT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  LATFLEET_LEASE_SECONDS: z.coerce.number().int().min(5).max(86_400).default(600),
  LATFLEET_MAX_JOB_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(14_400),
  LATFLEET_MODEL_CACHE_MB: z.coerce.number().int().min(0).max(1_048_576).default(256),
  LATFLEET_UPLOAD_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(16),
  LATFLEET_UPLOAD_PER_AGENT: z.coerce.number().int().min(1).max(10_000).default(2),
  LATFLEET_UPLOAD_MAX_MESSAGES: z.coerce.number().int().min(1).max(1_000_000).default(4096),
  LATFLEET_UPLOAD_MAX_MB: z.coerce.number().int().min(1).max(65_536).default(512),
  LATFLEET_QUERY_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(15_000),
  LATFLEET_MAX_MODEL_MB: z.coerce.number().int().min(1).max(65_536).default(512),
  LATFLEET_MAX_STUDY_MODEL_MB: z.coerce.number().int().min(1).max(1_048_576).default(2048),
  LATFLEET_API_KEYS: z.string().optional(),
  LATFLEET_API_KEY: z.string().min(1).optional(),
  LATFLEET_API_READ: z.enum(['open', 'key']).default('open'),
  LATFLEET_GRPC_TLS_CERT: z.string().min(1).optional(),
  LATFLEET_GRPC_TLS_KEY: z.string().min(1).optional(),
  LATFLEET_GRPC_TLS_CLIENT_CA: z.string().min(1).optional(),
  LATFLEET_CONTROL_CA: z.string().min(1).optional(),
  LATFLEET_AGENT_TLS_CERT: z.string().min(1).optional(),
  LATFLEET_AGENT_TLS_KEY: z.string().min(1).optional(),
  LATFLEET_GRPC_INSECURE: z.enum(['true', 'false']).default('false'),
  LATFLEET_AGENT_RUNNER: z.enum(['ort-node', 'android-adb', 'command', 'litert', 'ort-node+litert']).default('ort-node'),
  LATFLEET_ADB_SERIAL: z.string().min(1).optional(),
  LATFLEET_ADB_CPU_MASK: z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]+$/, 'expected a hexadecimal CPU mask such as f0')
    .optional(),
  LATFLEET_ADB_PATH: z.string().min(1).optional(),
  LATFLEET_ADB_REMOTE_DIR: z.string().min(1).optional(),
  LATFLEET_ADB_LIBS: z.string().optional(),
  LATFLEET_ORT_PERF_TEST: z.string().min(1).optional(),
  LATFLEET_ORT_PERF_TEST_VERSION: z.string().min(1).optional(),
  LATFLEET_TFLITE_BENCHMARK: z.string().min(1).optional(),
  LATFLEET_TFLITE_VERSION: z.string().min(1).optional(),
  LATFLEET_COMMAND_RUNNER_CONFIG: z.string().min(1).optional(),
  LATFLEET_AGENT_CACHE_MB: z.coerce.number().int().min(1).default(2048),
  LATFLEET_LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
});

/** A device whose agent has missed this many heartbeats in a row is offline (its session is over). */
export const MISSED_HEARTBEATS_OFFLINE = 3;

/** How long after its last heartbeat a device counts as offline, in ms. */
export const offlineAfterMs = (c: Pick<LatfleetConfig, 'heartbeatMs'>): number => MISSED_HEARTBEATS_OFFLINE * c.heartbeatMs;

export type LatfleetConfig = {
  databaseUrl?: string;
  dataDir: string;
  pgPort: number;
  grpcHost: string;
  grpcPort: number;
  httpHost: string;
  httpPort: number;
  /** host:port the agent dials. */
  controlAddress: string;
  enrollmentToken?: string;
  agentName?: string;
  /** CPU core the agent pins its measuring process to; -1 leaves it to the OS. */
  agentCore: number;
  heartbeatMs: number;
  leaseSeconds: number;
  /**
   * Heartbeats keep a job's lease alive, but never past this long after it was leased: a job that
   * runs longer (a hung runner that still heartbeats) is ended and re-queued or failed.
   */
  maxJobSeconds: number;
  /** Control's in-memory cache of model bytes for FetchModel (0: none; larger models are read in slices). */
  modelCacheBytes: number;
  /** Uploads control receives and stores at once; later ones wait, paused (bounds control's memory). */
  uploadConcurrency: number;
  /** Of those, the most one agent may hold: its further uploads wait, and other agents' go ahead of them. */
  uploadPerAgent: number;
  /** Messages one upload may have; control refuses the upload as the next one arrives. */
  uploadMaxMessages: number;
  /** Wire bytes one upload may have (its messages serialized); refused as the stream arrives. */
  uploadMaxBytes: number;
  /** Longest a statement of the query service may run (Postgres statement_timeout; 0: no limit). */
  queryStatementTimeoutMs: number;
  /** Largest model a study may ask for, estimated before building as params × 4 bytes (float32 weights). */
  maxModelBytes: number;
  /** Largest total of a study's models, estimated the same way: the query service builds them all in memory. */
  maxStudyModelBytes: number;
  logLevel: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
  /** Keys that may call the HTTP API's write endpoints (and read ones when `apiRead` is `key`). */
  apiKeys: string[];
  /** The key the CLI sends. */
  apiKey?: string;
  apiRead: 'open' | 'key';
  /** gRPC TLS: server certificate and key (PEM paths); with a client CA, agents must present certificates. */
  grpcTls?: { cert: string; key: string; clientCa?: string };
  /** Agent side: CA to verify the control plane's certificate, and an optional client certificate. */
  controlTls?: { ca: string; cert?: string; key?: string };
  /** Allow plaintext gRPC on a non-loopback address (not recommended). */
  grpcInsecure: boolean;
  agentCacheBytes: number;
  /** How the agent reaches its device: in-process ONNX Runtime, a phone over adb, or a vendor tool. */
  agentRunner: 'ort-node' | 'android-adb' | 'command' | 'litert' | 'ort-node+litert';
  adb?: {
    serial: string;
    cpuMask: string;
    adbPath?: string;
    remoteDir?: string;
    hostLibraries: string[];
    ortPerfTestPath?: string;
    ortVersion?: string;
    tfliteBenchmarkPath?: string;
    tfliteVersion?: string;
  };
  /** JSON file with the command runner's options (argv templates do not fit in variables). */
  commandRunnerConfig?: string;
};

export class ConfigError extends Error {}

/** The one place that reads the environment. Fails fast with `NAME=value: reason`. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LatfleetConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0]);
      return `${name}=${JSON.stringify(env[name] ?? '')}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  if (e.LATFLEET_AGENT_RUNNER === 'android-adb' && !(e.LATFLEET_ADB_SERIAL && e.LATFLEET_ADB_CPU_MASK)) {
    throw new ConfigError('invalid configuration:\n  LATFLEET_AGENT_RUNNER=android-adb: set LATFLEET_ADB_SERIAL and LATFLEET_ADB_CPU_MASK');
  }
  if (e.LATFLEET_AGENT_RUNNER === 'command' && !e.LATFLEET_COMMAND_RUNNER_CONFIG) {
    throw new ConfigError("invalid configuration:\n  LATFLEET_AGENT_RUNNER=command: set LATFLEET_COMMAND_RUNNER_CONFIG to the runner's JSON options file");
  }
  if (Boolean(e.LATFLEET_GRPC_TLS_CERT) !== Boolean(e.LATFLEET_GRPC_TLS_KEY)) {
    throw new ConfigError('invalid configuration:\n  LATFLEET_GRPC_TLS_CERT and LATFLEET_GRPC_TLS_KEY: set both or neither');
  }
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: resolve(e.LATFLEET_DATA_DIR),
    pgPort: e.LATFLEET_PG_PORT,
    grpcHost: e.LATFLEET_GRPC_HOST,
    grpcPort: e.LATFLEET_GRPC_PORT,
    httpHost: e.LATFLEET_HTTP_HOST,
    httpPort: e.LATFLEET_HTTP_PORT,
    controlAddress: e.LATFLEET_CONTROL_ADDRESS ?? `${e.LATFLEET_GRPC_HOST}:${e.LATFLEET_GRPC_PORT}`,
    enrollmentToken: e.LATFLEET_ENROLLMENT_TOKEN,
    agentName: e.LATFLEET_AGENT_NAME,
    agentCore: e.LATFLEET_AGENT_CORE,
    heartbeatMs: e.LATFLEET_HEARTBEAT_MS,
    leaseSeconds: e.LATFLEET_LEASE_SECONDS,
    maxJobSeconds: e.LATFLEET_MAX_JOB_SECONDS,
    modelCacheBytes: e.LATFLEET_MODEL_CACHE_MB * 1024 * 1024,
    uploadConcurrency: e.LATFLEET_UPLOAD_CONCURRENCY,
    uploadPerAgent: e.LATFLEET_UPLOAD_PER_AGENT,
    uploadMaxMessages: e.LATFLEET_UPLOAD_MAX_MESSAGES,
    uploadMaxBytes: e.LATFLEET_UPLOAD_MAX_MB * 1024 * 1024,
    queryStatementTimeoutMs: e.LATFLEET_QUERY_STATEMENT_TIMEOUT_MS,
    maxModelBytes: e.LATFLEET_MAX_MODEL_MB * 1024 * 1024,
    maxStudyModelBytes: e.LATFLEET_MAX_STUDY_MODEL_MB * 1024 * 1024,
    logLevel: e.LATFLEET_LOG_LEVEL,
    apiKeys: (e.LATFLEET_API_KEYS ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
    apiKey: e.LATFLEET_API_KEY,
    apiRead: e.LATFLEET_API_READ,
    grpcTls:
      e.LATFLEET_GRPC_TLS_CERT && e.LATFLEET_GRPC_TLS_KEY ? { cert: e.LATFLEET_GRPC_TLS_CERT, key: e.LATFLEET_GRPC_TLS_KEY, clientCa: e.LATFLEET_GRPC_TLS_CLIENT_CA } : undefined,
    controlTls: e.LATFLEET_CONTROL_CA ? { ca: e.LATFLEET_CONTROL_CA, cert: e.LATFLEET_AGENT_TLS_CERT, key: e.LATFLEET_AGENT_TLS_KEY } : undefined,
    grpcInsecure: e.LATFLEET_GRPC_INSECURE === 'true',
    agentCacheBytes: e.LATFLEET_AGENT_CACHE_MB * 1024 * 1024,
    agentRunner: e.LATFLEET_AGENT_RUNNER,
    adb:
      e.LATFLEET_ADB_SERIAL && e.LATFLEET_ADB_CPU_MASK
        ? {
            serial: e.LATFLEET_ADB_SERIAL,
            cpuMask: e.LATFLEET_ADB_CPU_MASK.replace(/^0x/, ''),
            adbPath: e.LATFLEET_ADB_PATH,
            remoteDir: e.LATFLEET_ADB_REMOTE_DIR,
            hostLibraries: (e.LATFLEET_ADB_LIBS ?? '')
              .split(',')
              .map((l) => l.trim())
              .filter(Boolean),
            ortPerfTestPath: e.LATFLEET_ORT_PERF_TEST,
            ortVersion: e.LATFLEET_ORT_PERF_TEST_VERSION,
            tfliteBenchmarkPath: e.LATFLEET_TFLITE_BENCHMARK,
            tfliteVersion: e.LATFLEET_TFLITE_VERSION,
          }
        : undefined,
    commandRunnerConfig: e.LATFLEET_COMMAND_RUNNER_CONFIG,
  };
}

/** Injection token for the process's validated config. */
export const CONFIG = Symbol('LatfleetConfig');

/** Nest logger levels up to and including the configured one. */
export function logLevels(level: LatfleetConfig['logLevel']) {
  const all = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
  return all.slice(0, all.indexOf(level) + 1) as Array<(typeof all)[number]>;
}
