import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../services/cli/api.client.js';
import { LocalFleet } from '../../services/cli/fleet.js';
import { waitForStudy } from '../../services/cli/study-progress.js';
import { loadConfig } from '../../services/lib/config/index.js';
import { agentServiceDefinition } from '../../services/lib/proto/index.js';
import { pollUntil } from '../support/poll-until.js';

/** A client stub's method, called with (request, metadata, callback) or as a stream. */
type GrpcMethod = (...args: any[]) => any;

const FACTS = { name: 'phone-1', deviceClass: 'android', runner: 'android-adb', cpuModel: 'Tensor', tags: {} };

function stub(address: string, creds = grpc.credentials.createInsecure()) {
  const def = agentServiceDefinition();
  const pkg = grpc.loadPackageDefinition(def) as unknown as { latfleet: { v1: { AgentService: grpc.ServiceClientConstructor } } };
  return new pkg.latfleet.v1.AgentService(address, creds) as grpc.Client & Record<string, GrpcMethod>;
}

const register = (s: Record<string, GrpcMethod>, enrollmentToken: string, facts = FACTS) =>
  new Promise<{ agentId: string; credential: string }>((resolve, reject) =>
    s['register']!({ enrollmentToken, facts }, new grpc.Metadata(), (err: Error | null, res: { agentId: string; credential: string }) => (err ? reject(err) : resolve(res))),
  );

describe('a fleet that keeps strangers out and does what it is told', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latfleet-sec-'));
  const base = 20_000 + Math.floor(Math.random() * 20_000);
  const config = loadConfig({
    LATFLEET_DATA_DIR: dataDir,
    LATFLEET_HTTP_PORT: String(base),
    LATFLEET_GRPC_PORT: String(base + 1),
    LATFLEET_PG_PORT: String(base + 2),
    LATFLEET_HEARTBEAT_MS: '1000',
    LATFLEET_LOG_LEVEL: 'warn',
  });
  let fleet: LocalFleet;
  let db: pg.Client;

  beforeAll(async () => {
    fleet = new LocalFleet(config);
    await fleet.start(() => undefined);
    db = new pg.Client({ connectionString: fleet.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await fleet?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses writes without a valid API key, and never echoes the key', async () => {
    const anonymous = new ApiClient(fleet.api.baseUrl);
    await expect(anonymous.createStudy({ name: 'x', base: 'mobilenetv3-small-1.0' })).rejects.toMatchObject({ status: 401 });
    await expect(new ApiClient(fleet.api.baseUrl, 'wrong-key').createEnrollmentToken('x', 1)).rejects.toMatchObject({ status: 401 });
    await expect(anonymous.studies()).resolves.toBeDefined();
    const tokens = JSON.stringify(await fleet.api.enrollmentTokens());
    expect(tokens).not.toMatch(/token_hash|tokenHash/);
  });

  it('enrolls an agent with an admin-created token until the token is revoked', async () => {
    const s = stub(`${config.grpcHost}:${config.grpcPort}`);
    try {
      const created = await fleet.api.createEnrollmentToken('lab phones', 1);
      expect(created.token).toMatch(/^lfe_/);
      const { rows } = await db.query(`SELECT token_hash FROM enrollment_tokens WHERE id = $1`, [created.id]);
      expect(rows[0].token_hash).not.toContain(created.token);
      const reg = await register(s, created.token);
      expect(reg.credential.startsWith(`${reg.agentId}.`)).toBe(true);
      await fleet.api.revokeEnrollmentToken(created.id);
      const refused = await register(s, created.token, { ...FACTS, name: 'phone-2' }).then(
        () => null,
        (e: grpc.ServiceError) => e,
      );
      expect(refused).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      // the reason of the fleet's one error table travels in the trailing metadata
      expect(refused!.metadata.get('latfleet-error-reason')).toEqual(['UNAUTHENTICATED']);
    } finally {
      s.close();
    }
  });

  it('refuses to register a name that is taken, and the device stays with the agent that registered it', async () => {
    const s = stub(`${config.grpcHost}:${config.grpcPort}`);
    try {
      const { token } = await fleet.api.createEnrollmentToken('takeover attempt', 1);
      const owner = await register(s, token, { ...FACTS, name: 'phone-owned' });
      const before = await db.query(`SELECT * FROM devices WHERE name = 'phone-owned'`);

      await expect(register(s, token, { ...FACTS, name: 'phone-owned', cpuModel: 'forged' })).rejects.toMatchObject({
        code: grpc.status.PERMISSION_DENIED,
      });

      const after = await db.query(`SELECT * FROM devices WHERE name = 'phone-owned'`);
      expect(after.rows).toEqual(before.rows);
      expect(after.rows[0].id).toBe(owner.agentId);
    } finally {
      s.close();
    }
  });

  it('leaves a job for android phones queued on a CPU-only fleet', async () => {
    const study = await fleet.api.createStudy({
      name: 'phones-only',
      base: 'mobilenetv3-small-0.75@96',
      devices: { class: 'android' },
      protocol: { warmupRuns: 1, timedRuns: 5, profiledRuns: 1, maxRetries: 0, replicates: 1 },
    });
    await new Promise((r) => setTimeout(r, 2500));
    expect((await fleet.api.study(study.id)).jobs).toMatchObject({ queued: 1, leased: 0 });
    await fleet.api.cancelStudy(study.id);
  });

  it('cancels a running study: the agent aborts its job and takes the next study', async () => {
    const long = await fleet.api.createStudy({
      name: 'long',
      base: 'mobilenetv3-large-1.0',
      protocol: { warmupRuns: 1, timedRuns: 20_000, profiledRuns: 1, maxRetries: 0, replicates: 1 },
    });
    await pollUntil(async () => (await fleet.api.study(long.id)).jobs.leased === 1, { what: 'the long job leased', timeoutMs: 30_000 });
    await expect(fleet.api.cancelStudy(long.id)).resolves.toMatchObject({ status: 'cancelled', abortedJobs: 1 });
    const next = await fleet.api.createStudy({
      name: 'after-cancel',
      base: 'mobilenetv3-small-0.75@96',
      protocol: { warmupRuns: 1, timedRuns: 5, profiledRuns: 1, maxRetries: 0, replicates: 1 },
    });
    const done = await waitForStudy(fleet.api, next.id, { quiet: true, intervalMs: 200, timeoutMs: 60_000 });
    expect(done.status).toBe('completed');
    const cancelled = await fleet.api.study(long.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.jobList[0]).toMatchObject({ state: 'cancelled' });
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM runs r JOIN jobs j ON j.id = r.job_id WHERE j.study_id = $1`, [long.id]);
    expect(rows[0].n).toBe(0);
  });

  it('refuses to serve plaintext gRPC off loopback', async () => {
    const child = spawn(process.execPath, [join(import.meta.dirname, '../../dist/control/main.js')], {
      env: { ...process.env, DATABASE_URL: fleet.databaseUrl, LATFLEET_GRPC_HOST: '0.0.0.0', LATFLEET_GRPC_PORT: String(base + 5) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).not.toBe(0);
    expect(stderr).toContain('LATFLEET_GRPC_HOST=0.0.0.0');
  });

  it('serves gRPC over TLS to agents that trust its CA, and not to those that do not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latfleet-tls-'));
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=latfleet-test-ca', '-keyout', 'ca.key', '-out', 'ca.pem');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr');
    execFileSync('sh', ['-c', "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > san.ext"], { cwd: dir });
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'san.ext', '-out', 'server.pem');
    const port = base + 6;
    const child = spawn(process.execPath, [join(import.meta.dirname, '../../dist/control/main.js')], {
      env: {
        ...process.env,
        DATABASE_URL: fleet.databaseUrl,
        LATFLEET_GRPC_HOST: '127.0.0.1',
        LATFLEET_GRPC_PORT: String(port),
        LATFLEET_GRPC_TLS_CERT: join(dir, 'server.pem'),
        LATFLEET_GRPC_TLS_KEY: join(dir, 'server.key'),
        LATFLEET_ENROLLMENT_TOKEN: 'tls-test-enrollment-token',
      },
      stdio: 'ignore',
    });
    try {
      const { readFileSync } = await import('node:fs');
      const trusted = stub(`localhost:${port}`, grpc.credentials.createSsl(readFileSync(join(dir, 'ca.pem'))));
      const plain = stub(`localhost:${port}`);
      try {
        const reg = await pollUntil(() => register(trusted, 'tls-test-enrollment-token', { ...FACTS, name: 'tls-phone' }), {
          what: 'registration over TLS',
          timeoutMs: 30_000,
          intervalMs: 200,
        });
        expect(reg.agentId).toMatch(/^[0-9a-f-]{36}$/);
        await expect(register(plain, 'tls-test-enrollment-token', { ...FACTS, name: 'plain-phone' })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
      } finally {
        trusted.close();
        plain.close();
      }
    } finally {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
