import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LatfleetConfig } from '../lib/config/index.js';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../lib/store/index.js';
import { ApiClient } from './api.client.js';
import { affinityOf, servicesCores, setAffinity } from './core-affinity.js';
import { checkPortsFree } from './ports-free.util.js';

export type ProcessName = 'control' | 'query' | 'agent';

interface Child {
  name: ProcessName;
  proc: ChildProcess;
  exited: Promise<number | null>;
}

/**
 * The whole fleet on one machine: Postgres (embedded unless DATABASE_URL is set), then control,
 * query and one CPU agent as child processes, each logging to <data dir>/logs/<name>.log.
 */
export class LocalFleet {
  private pg?: EmbeddedPostgresHandle;
  private children: Child[] = [];
  private stopping?: Promise<void>;
  /** what every child process is started with (set by start) */
  private env?: NodeJS.ProcessEnv;
  readonly api: ApiClient;
  /** Where the fleet's data lives, once started (embedded or DATABASE_URL). */
  databaseUrl?: string;
  readonly logDir: string;
  onUnexpectedExit?: (name: ProcessName, code: number | null) => void;

  constructor(private readonly config: LatfleetConfig) {
    this.api = new ApiClient(`http://${config.httpHost}:${config.httpPort}`, config.apiKey ?? localSecret(config.dataDir, 'api-key'));
    this.logDir = join(config.dataDir, 'logs');
  }

  async start(log: (line: string) => void): Promise<void> {
    mkdirSync(this.logDir, { recursive: true });
    await checkPortsFree([
      ...(this.config.databaseUrl ? [] : [{ what: 'the embedded Postgres', host: '127.0.0.1', port: this.config.pgPort, variable: 'LATFLEET_PG_PORT' }]),
      { what: 'the control plane (gRPC)', host: this.config.grpcHost, port: this.config.grpcPort, variable: 'LATFLEET_GRPC_PORT' },
      { what: 'the query service (HTTP)', host: this.config.httpHost, port: this.config.httpPort, variable: 'LATFLEET_HTTP_PORT' },
    ]);
    const core = this.agentCore();
    // Postgres, control and query start from this process and inherit its CPU list: keep them off the
    // agent's core, so that the fleet's own work does not preempt what it measures
    const original = affinityOf(process.pid);
    const others = original === null ? null : servicesCores(core, original);
    const offAgentCore = others !== null && setAffinity(process.pid, others);
    try {
      await this.startServices(log);
    } finally {
      if (offAgentCore) setAffinity(process.pid, original!);
    }
    if (offAgentCore) log(`postgres, control and query: kept off core ${core} (on ${others})`);
    this.spawn('agent', {
      ...this.env,
      LATFLEET_AGENT_CORE: String(core),
      LATFLEET_AGENT_NAME: this.config.agentName ?? `${os.hostname()}-cpu`,
      LATFLEET_AGENT_RUNNER: this.config.agentRunner,
    });
    await this.waitFor(
      'agent',
      async () => {
        const { items } = await this.api.devices();
        if (!items.some((d) => d.state === 'online')) throw new Error('no agent online yet');
      },
      60_000,
    );
    log(`agent: ${this.config.agentName ?? `${os.hostname()}-cpu`} (${this.config.agentRunner}) online, pinned to core ${core}; logs in ${this.logDir}`);
  }

  private async startServices(log: (line: string) => void): Promise<void> {
    let databaseUrl = this.config.databaseUrl;
    if (!databaseUrl) {
      log(`postgres: embedded, data in ${join(this.config.dataDir, 'pg')} (port ${this.config.pgPort})`);
      const pgLog = createWriteStream(join(this.logDir, 'postgres.log'), { flags: 'a' });
      this.pg = await startEmbeddedPostgres({ dataDir: this.config.dataDir, port: this.config.pgPort, onLog: (l) => pgLog.write(l + '\n') });
      databaseUrl = this.pg.url;
    } else {
      log('postgres: DATABASE_URL');
    }
    this.databaseUrl = databaseUrl;
    // the local fleet's bootstrap token lives as long as this start: a copy that leaks stops working at the next
    const token = this.config.enrollmentToken ?? rotateSecret(this.config.dataDir, 'enrollment-token');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      LATFLEET_DATA_DIR: this.config.dataDir,
      LATFLEET_GRPC_HOST: this.config.grpcHost,
      LATFLEET_GRPC_PORT: String(this.config.grpcPort),
      LATFLEET_HTTP_HOST: this.config.httpHost,
      LATFLEET_HTTP_PORT: String(this.config.httpPort),
      LATFLEET_ENROLLMENT_TOKEN: token,
      LATFLEET_API_KEYS: [...this.config.apiKeys, localSecret(this.config.dataDir, 'api-key')].join(','),
      LATFLEET_HEARTBEAT_MS: String(this.config.heartbeatMs),
    };
    this.env = env;
    // Control first: it runs the migrations the query service relies on.
    this.spawn('control', env);
    await this.waitFor('control', () => tcpProbe(this.config.grpcHost, this.config.grpcPort), 60_000);
    this.spawn('query', env);
    await this.waitFor('query', () => this.api.ready(), 60_000);
    log(`control: gRPC ${this.config.grpcHost}:${this.config.grpcPort}; query: ${this.api.baseUrl}`);
  }

  /**
   * Another agent on the running fleet, e.g. a LiteRT one (`{ LATFLEET_AGENT_RUNNER: 'litert' }`), under its
   * own name and log (`agent-<name>.log`); resolves once its device is online.
   */
  async addAgent(name: string, env: NodeJS.ProcessEnv): Promise<void> {
    if (!this.env) throw new Error('start the fleet first');
    const core = this.agentCore();
    const child = this.spawn('agent', { ...this.env, LATFLEET_AGENT_CORE: String(core), ...env, LATFLEET_AGENT_NAME: name }, `agent-${name}`);
    await this.waitFor(
      'agent',
      async () => {
        const { items } = await this.api.devices();
        if (!items.some((d) => d.name === name && d.state === 'online')) throw new Error(`agent ${name} not online yet`);
      },
      60_000,
      child,
    );
  }

  /** The enrollment token of this start of the local fleet (a new one each start), kept 0600 beside the data. */
  localEnrollmentToken(): string {
    return localSecret(this.config.dataDir, 'enrollment-token');
  }

  /** The core the local agents pin themselves to: the configured one, else the last. */
  private agentCore(): number {
    return this.config.agentCore >= 0 ? this.config.agentCore : os.cpus().length - 1;
  }

  /** The process id of a running child (the first of that name), for tools and tests. */
  pid(name: ProcessName): number | undefined {
    return this.children.find((c) => c.name === name)?.proc.pid;
  }

  private spawn(name: ProcessName, env: NodeJS.ProcessEnv, logName: string = name): Child {
    const script = entryPoint(name);
    const out = createWriteStream(join(this.logDir, `${logName}.log`), { flags: 'a' });
    const proc = spawn(process.execPath, ['--enable-source-maps', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.pipe(out);
    proc.stderr!.pipe(out);
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    void exited.then((code) => {
      if (!this.stopping) this.onUnexpectedExit?.(name, code);
    });
    const child = { name, proc, exited };
    this.children.push(child);
    return child;
  }

  private async waitFor(name: ProcessName, probe: () => Promise<unknown>, timeoutMs: number, child = this.children.find((c) => c.name === name)!): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError = '';
    while (Date.now() < deadline) {
      if (child.proc.exitCode !== null) {
        throw new Error(`${name} exited with code ${child.proc.exitCode}; see ${join(this.logDir, `${name}.log`)}`);
      }
      try {
        await probe();
        return;
      } catch (err) {
        lastError = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${name} not ready after ${timeoutMs / 1000} s (${lastError}); see ${join(this.logDir, `${name}.log`)}`);
  }

  /** Agent first (it may be mid-job), then query and control, then Postgres. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const name of ['agent', 'query', 'control'] as const) {
        for (const c of this.children.filter((x) => x.name === name)) {
          if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGTERM');
          const killed = setTimeout(() => c.proc.kill('SIGKILL'), 10_000);
          await c.exited;
          clearTimeout(killed);
        }
      }
      await this.pg?.stop();
    })();
    return this.stopping;
  }
}

function tcpProbe(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => {
      socket.end();
      resolve();
    });
    socket.on('error', reject);
  });
}

/** A new secret of this data directory, replacing the one before (0600 beside the data). */
export function rotateSecret(dataDir: string, name: 'enrollment-token'): string {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, name), randomBytes(24).toString('base64url'), { mode: 0o600 });
  return localSecret(dataDir, name);
}

/** A secret of this data directory (API key, enrollment token): made once, kept 0600 beside the data. */
export function localSecret(dataDir: string, name: 'api-key' | 'enrollment-token'): string {
  const file = join(dataDir, name);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/** dist/<name>/main.js beside this module; from the TypeScript sources (tests), the built copy. */
function entryPoint(name: ProcessName): string {
  const sibling = fileURLToPath(new URL(`../${name}/main.js`, import.meta.url));
  if (existsSync(sibling)) return sibling;
  const built = fileURLToPath(new URL(`../../dist/${name}/main.js`, import.meta.url));
  if (existsSync(built)) return built;
  throw new Error(`${sibling} not found: run \`npm run build\` first`);
}
