import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessFleet, outboxEntries, type AgentHandle, type ControlHandle } from '../support/process-fleet.js';
import { NetworkNamespace, networkNamespacesUnavailable } from '../support/network-namespace.js';
import { pollUntil } from '../support/poll-until.js';

const CUT_MS = 30_000;
const HEARTBEAT_MS = 1_000;
/** Timed runs go on for 15 s: the job is still running when the cut starts. */
const LONG_JOB = { timedRuns: 100, timedMinSeconds: 15, timedMaxRuns: 1_000_000, profiledRuns: 3 };
const BRIDGE = fileURLToPath(new URL('../support/netns-bridge.mjs', import.meta.url));
const BRIDGE_PORT = 50051;

const unavailable = networkNamespacesUnavailable();
if (unavailable) process.stderr.write(`network-cut: skipped: network namespaces are not available here (${unavailable})\n`);

/**
 * Agent `cut` runs in a network namespace of its own and reaches control through a bridge on that
 * namespace's loopback (then a Unix socket to control's 127.0.0.1 port). Taking that loopback down
 * for 30 s is a silent partition: neither side sees a FIN or RST. Agent `steady` is not cut.
 */
describe.skipIf(unavailable !== null)('a 30-second network cut between an agent and control', () => {
  let fleet: ProcessFleet;
  let control: ControlHandle;
  let ns: NetworkNamespace;
  let bridge: ChildProcess;
  let forwarder: Server;
  let cut: AgentHandle;
  let steady: AgentHandle;
  let studyId: string;
  let jobId: string;
  let healedAt = 0;

  beforeAll(async () => {
    fleet = await ProcessFleet.start('network-cut', { heartbeatMs: HEARTBEAT_MS, leaseSeconds: 120 });
    await fleet.guarded(async () => {
      control = await fleet.startControl('control');
      const socketPath = join(fleet.dir, 'control.sock');
      forwarder = createServer((c) => {
        const u = connect({ host: '127.0.0.1', port: control.port });
        c.pipe(u);
        u.pipe(c);
        const close = () => (c.destroy(), u.destroy());
        c.on('error', close).on('close', close);
        u.on('error', close).on('close', close);
      });
      await new Promise<void>((r) => forwarder.listen(socketPath, r));
      ns = NetworkNamespace.create();
      bridge = spawn(ns.wrapper[0]!, [...ns.wrapper.slice(1), process.execPath, BRIDGE, String(BRIDGE_PORT), socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        bridge.stdout!.once('data', () => resolve());
        bridge.once('exit', (code) => reject(new Error(`bridge exited with ${code}`)));
      });

      cut = fleet.startAgent('agent-cut', `127.0.0.1:${BRIDGE_PORT}`, { wrapper: ns.wrapper });
      await fleet.waitOnline([cut.name]);
      const study = await fleet.seed('network-cut', 1, LONG_JOB);
      studyId = study.studyId;
      jobId = study.jobIds[0]!;
      const cutId = await fleet.deviceId(cut.name);
      await pollUntil(
        async () => {
          const [job] = await fleet.jobs(studyId);
          return job?.state === 'leased' && job.device_id === cutId && job.phase === 'timed';
        },
        { what: 'the job running on agent-cut', timeoutMs: 30_000, intervalMs: 50 },
      );
      steady = fleet.startAgent('agent-steady', control.address);
      await fleet.waitOnline([steady.name]);
      const [job] = await fleet.jobs(studyId);
      if (job?.state !== 'leased' || job.device_id !== cutId) throw new Error(`the job left agent-cut before the cut: ${JSON.stringify(job)}`);

      ns.loopback(false);
      const cutAt = Date.now();
      await new Promise((r) => setTimeout(r, CUT_MS));
      ns.loopback(true);
      healedAt = Date.now();
      process.stderr.write(`network-cut: agent-cut partitioned for ${((healedAt - cutAt) / 1000).toFixed(1)} s in the middle of its job\n`);
    });
  });

  afterAll(async () => {
    ns?.loopback(true);
    await fleet?.close();
    bridge?.kill('SIGKILL');
    forwarder?.close();
    ns?.destroy();
  });

  it('the job is stored exactly once, by whichever agent delivered first', { timeout: 120_000 }, () =>
    fleet.guarded(async () => {
      await fleet.waitStudySettled(studyId, 90_000);
      await pollUntil(() => outboxEntries(cut).length === 0 && outboxEntries(steady).length === 0, {
        what: 'both outboxes empty',
        timeoutMs: 60_000,
        intervalMs: 250,
      });
      const audit = await fleet.audit(studyId);
      expect(audit.problems).toEqual([]);
      expect(audit).toMatchObject({ completed: 1, runs: 1 });
      const { rows } = await fleet.db.query<{ name: string; attempt: number }>(`SELECT d.name, r.attempt FROM runs r JOIN devices d ON d.id = r.device_id WHERE r.job_id = $1`, [
        jobId,
      ]);
      const { rows: attempts } = await fleet.db.query(
        `SELECT a.attempt, d.name, a.outcome FROM job_attempts a JOIN devices d ON d.id = a.device_id WHERE a.job_id = $1 ORDER BY a.attempt`,
        [jobId],
      );
      process.stderr.write(
        `network-cut: stored by ${rows[0]!.name} (attempt ${rows[0]!.attempt}); attempts ${JSON.stringify(attempts)}; settled ${((Date.now() - healedAt) / 1000).toFixed(1)} s after the heal\n`,
      );
    }),
  );

  it('the cut agent is online again after the cut heals', { timeout: 60_000 }, () =>
    fleet.guarded(async () => {
      await fleet.waitOnline([cut.name], 30_000);
    }),
  );

  it('the cut agent takes new jobs again', { timeout: 120_000 }, () =>
    fleet.guarded(async () => {
      const study = await fleet.seed('after-the-cut', 2, { timedRuns: 200, profiledRuns: 3 });
      await fleet.waitStudySettled(study.studyId, 90_000);
      const { rows } = await fleet.db.query<{ name: string }>(`SELECT d.name FROM runs r JOIN devices d ON d.id = r.device_id WHERE r.study_id = $1`, [study.studyId]);
      expect(rows.map((r) => r.name).sort()).toEqual([cut.name, steady.name].sort());
      expect((await fleet.audit(study.studyId)).problems).toEqual([]);
      expect(readFileSync(cut.proc.logFile, 'utf8')).not.toContain('rejected');
    }),
  );
});
