import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, watch } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { JobProtocol } from '../../services/lib/store/index.js';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../services/lib/store/index.js';
import { freePort } from './free-port.js';
import { pollUntil } from './poll-until.js';
import { auditStudyRows, type RowAudit } from './row-audit.js';
import { spawnService, type ServiceProcess } from './service-process.js';
import { insertModel, model, seedStudy, type SeededStudy } from './study-seed.js';

export interface ControlHandle {
  label: string;
  port: number;
  address: string;
  proc: ServiceProcess;
}

export interface AgentHandle {
  name: string;
  dataDir: string;
  outboxDir: string;
  controlAddress: string;
  wrapper?: string[];
  proc: ServiceProcess;
}

export interface FleetOptions {
  heartbeatMs?: number;
  leaseSeconds?: number;
  logLevel?: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
}

/**
 * Real processes for fault and load tests: an embedded Postgres owned by the test (so it can be stopped and
 * started), control replicas and agents spawned from dist/, each agent with a data directory of its
 * own (credential, model cache, outbox) that survives its restarts.
 */
export class ProcessFleet {
  readonly logDir: string;
  readonly token = randomBytes(24).toString('base64url');
  readonly controls: ControlHandle[] = [];
  readonly agents: AgentHandle[] = [];
  readonly db: pg.Pool;
  private pgHandle?: EmbeddedPostgresHandle;
  private modelStored = false;

  private constructor(
    readonly dir: string,
    readonly pgPort: number,
    readonly databaseUrl: string,
    readonly opts: Required<FleetOptions>,
    pgHandle: EmbeddedPostgresHandle,
  ) {
    this.logDir = join(dir, 'logs');
    this.pgHandle = pgHandle;
    this.db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    // Idle clients die with a Postgres restart: the pool drops them and connects anew.
    this.db.on('error', () => undefined);
  }

  static async start(name: string, opts: FleetOptions = {}): Promise<ProcessFleet> {
    const dir = mkdtempSync(join(tmpdir(), `latfleet-${name}-`));
    // As root, Postgres runs as user postgres and must be able to traverse into its data directory.
    chmodSync(dir, 0o711);
    const pgPort = await freePort();
    const handle = await startEmbeddedPostgres({ dataDir: join(dir, 'db'), port: pgPort });
    return new ProcessFleet(dir, pgPort, handle.url, { heartbeatMs: opts.heartbeatMs ?? 500, leaseSeconds: opts.leaseSeconds ?? 60, logLevel: opts.logLevel ?? 'log' }, handle);
  }

  private env(): Record<string, string> {
    return {
      DATABASE_URL: this.databaseUrl,
      LATFLEET_ENROLLMENT_TOKEN: this.token,
      LATFLEET_HEARTBEAT_MS: String(this.opts.heartbeatMs),
      LATFLEET_LEASE_SECONDS: String(this.opts.leaseSeconds),
      LATFLEET_LOG_LEVEL: this.opts.logLevel,
    };
  }

  /** A control replica on `port` (a free one by default); resolves once it accepts connections and enrollment works. */
  async startControl(label: string, port?: number): Promise<ControlHandle> {
    const p = port ?? (await freePort());
    const proc = spawnService('control', {
      label,
      logDir: this.logDir,
      env: { ...this.env(), LATFLEET_DATA_DIR: join(this.dir, label), LATFLEET_GRPC_HOST: '127.0.0.1', LATFLEET_GRPC_PORT: String(p) },
    });
    await pollUntil(
      async () => {
        if (!proc.alive()) throw new Error(`${label} exited:\n${proc.logTail()}`);
        await tcpProbe(p);
        return true;
      },
      { what: `${label} listening on ${p}`, timeoutMs: 60_000, intervalMs: 100 },
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${proc.logTail()}`);
    });
    const handle: ControlHandle = { label, port: p, address: `127.0.0.1:${p}`, proc };
    const i = this.controls.findIndex((c) => c.label === label);
    if (i >= 0) this.controls[i] = handle;
    else this.controls.push(handle);
    return handle;
  }

  /** A real agent (dist/agent) named `name`; its data directory is kept across restarts. */
  startAgent(name: string, controlAddress: string, opts: { wrapper?: string[] } = {}): AgentHandle {
    const dataDir = join(this.dir, 'agents', name);
    const outboxDir = join(dataDir, 'agent', 'outbox');
    mkdirSync(outboxDir, { recursive: true });
    const proc = spawnService('agent', {
      label: name,
      logDir: this.logDir,
      wrapper: opts.wrapper,
      env: {
        ...this.env(),
        LATFLEET_DATA_DIR: dataDir,
        LATFLEET_CONTROL_ADDRESS: controlAddress,
        LATFLEET_AGENT_NAME: name,
        LATFLEET_AGENT_CORE: '-1',
      },
    });
    const handle: AgentHandle = { name, dataDir, outboxDir, controlAddress, wrapper: opts.wrapper, proc };
    const i = this.agents.findIndex((a) => a.name === name);
    if (i >= 0) this.agents[i] = handle;
    else this.agents.push(handle);
    return handle;
  }

  /** The same agent again: same name, same data directory (credential, cache, outbox). */
  restartAgent(agent: AgentHandle, controlAddress = agent.controlAddress): AgentHandle {
    if (agent.proc.alive()) throw new Error(`${agent.name} is still running`);
    return this.startAgent(agent.name, controlAddress, { wrapper: agent.wrapper });
  }

  async deviceId(name: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM devices WHERE name = $1`, [name]);
    return rows[0]?.id;
  }

  async waitOnline(names: string[], timeoutMs = 30_000): Promise<void> {
    await pollUntil(
      async () => {
        const { rows } = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM devices WHERE name = ANY($1) AND state = 'online'`, [names]);
        return rows[0]!.n === names.length;
      },
      { what: `agents ${names.join(', ')} online`, timeoutMs, intervalMs: 100 },
    );
  }

  /** A study of `jobs` jobs on the small real model (stored on first use). */
  async seed(name: string, jobs: number, protocol: Partial<JobProtocol> = {}): Promise<SeededStudy> {
    if (!this.modelStored) {
      await insertModel(this.db, model());
      this.modelStored = true;
    }
    return seedStudy(this.db, {
      name,
      jobs,
      model: model(),
      // No quality retries: on a shared 2-core machine every measurement is flagged busy, and each
      // retry waits 5 s; one attempt keeps a job's duration predictable.
      protocol: { warmupRuns: 2, warmupMinSeconds: 0, timedRuns: 200, profiledRuns: 3, graphOptimizationLevel: 'all', maxRetries: 0, ...protocol },
    });
  }

  /** Job rows of a study, in queue order. */
  async jobs(studyId: string): Promise<Array<{ id: string; state: string; attempt: number; phase: string | null; device_id: string | null }>> {
    const { rows } = await this.db.query(`SELECT id, state, attempt, phase, device_id FROM jobs WHERE study_id = $1 ORDER BY created_at, id`, [studyId]);
    return rows;
  }

  /** Waits until no job of the study is queued or leased. */
  async waitStudySettled(studyId: string, timeoutMs: number): Promise<void> {
    await pollUntil(
      async () => {
        const { rows } = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE study_id = $1 AND state IN ('queued', 'leased')`, [studyId]);
        return rows[0]!.n === 0;
      },
      { what: `study ${studyId} settled`, timeoutMs, intervalMs: 200 },
    );
  }

  audit(studyId: string): Promise<RowAudit> {
    return auditStudyRows(this.db, studyId);
  }

  /** Process id of the Postgres server (postmaster), from its pid file. */
  postgresPid(): number {
    return Number(readFileSync(join(this.dir, 'db', 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  /** Stops Postgres the way an operator's restart does (fast shutdown: open transactions abort). */
  async stopPostgres(): Promise<void> {
    await this.pgHandle?.stop();
    this.pgHandle = undefined;
  }

  async startPostgres(): Promise<void> {
    this.pgHandle = await startEmbeddedPostgres({ dataDir: join(this.dir, 'db'), port: this.pgPort });
  }

  /** Log tails of every process, for a failing test's message. */
  logs(lines = 30): string {
    const procs = [...this.controls.map((c) => c.proc), ...this.agents.map((a) => a.proc)];
    return procs.map((p) => `--- ${p.label} (${p.logFile})\n${p.logTail(lines)}`).join('\n');
  }

  /** Set once a guarded step failed: `close` then keeps the directory for inspection. */
  private failed = false;

  /** Runs a test step; a failure carries every process's log tail and keeps the test directory. */
  async guarded(body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (err) {
      this.failed = true;
      throw new Error(`${(err as Error).message}\n${this.logs()}`, { cause: err });
    }
  }

  /** Stops every process and Postgres; removes the directory unless `keep` or a guarded step failed (then its path is printed). */
  async close(keep = this.failed): Promise<void> {
    await Promise.all(this.agents.map((a) => a.proc.stop(5_000)));
    await Promise.all(this.controls.map((c) => c.proc.stop(5_000)));
    await this.db.end().catch(() => undefined);
    await this.stopPostgres().catch(() => undefined);
    if (keep || process.env['LATFLEET_KEEP_TEST_DIRS']) process.stderr.write(`test files kept in ${this.dir}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

export function tcpProbe(port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => {
      socket.end();
      resolve();
    });
    socket.on('error', reject);
  });
}

/** Outbox entries (`<job>-<attempt>`) the agent holds on disk. */
export function outboxEntries(agent: AgentHandle): string[] {
  if (!existsSync(agent.outboxDir)) return [];
  return readdirSync(agent.outboxDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5));
}

/**
 * Resolves as soon as the agent writes a result to its outbox, i.e. right before it starts
 * uploading (fs.watch: within a millisecond or so, not on a polling tick).
 */
export function nextOutboxEntry(agent: AgentHandle, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const seen = new Set(outboxEntries(agent));
    const watcher = watch(agent.outboxDir, (_event, file) => {
      const name = String(file ?? '');
      if (name.endsWith('.json') && !seen.has(name.slice(0, -5))) finish(null, name.slice(0, -5));
    });
    const timer = setTimeout(() => finish(new Error(`${agent.name}: no outbox entry within ${timeoutMs} ms`)), timeoutMs);
    function finish(err: Error | null, key?: string) {
      clearTimeout(timer);
      watcher.close();
      if (err) reject(err);
      else resolve(key!);
    }
  });
}
