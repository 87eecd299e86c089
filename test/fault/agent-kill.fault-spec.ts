import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessFleet, outboxEntries, type ControlHandle } from '../support/process-fleet.js';
import { pollUntil } from '../support/poll-until.js';

const LEASE_SECONDS = 5;
/** Timed runs go on for 4 s (then stop): long enough to be killed in the middle of. */
const LONG_JOB = { timedRuns: 100, timedMinSeconds: 4, timedMaxRuns: 1_000_000, profiledRuns: 3 };
/** Twice LATFLEET_LEASE_SECONDS. */
const LONGER_THAN_LEASE = { ...LONG_JOB, timedMinSeconds: 2 * LEASE_SECONDS };

describe('an agent killed with SIGKILL in the middle of a job', () => {
  let fleet: ProcessFleet;
  let control: ControlHandle;

  beforeAll(async () => {
    fleet = await ProcessFleet.start('agent-kill', { heartbeatMs: 500, leaseSeconds: LEASE_SECONDS });
    control = await fleet.startControl('control');
  });

  afterAll(async () => {
    await fleet?.close();
  });

  it('loses its lease, another agent finishes the job, and every row is stored once', () =>
    fleet.guarded(async () => {
      const a = fleet.startAgent('agent-a', control.address);
      const b = fleet.startAgent('agent-b', control.address);
      await fleet.waitOnline([a.name, b.name]);
      const study = await fleet.seed('agent-kill', 1, LONG_JOB);
      const jobId = study.jobIds[0]!;

      const running = await pollUntil(
        async () => {
          const [job] = await fleet.jobs(study.studyId);
          return job?.state === 'leased' && job.phase === 'timed' ? job : undefined;
        },
        { what: 'the job in its timed runs', timeoutMs: 30_000, intervalMs: 50 },
      );
      const victim = running.device_id === (await fleet.deviceId(a.name)) ? a : b;
      const survivor = victim === a ? b : a;
      victim.proc.kill('SIGKILL');
      await victim.proc.exited;
      const killedAt = Date.now();

      await fleet.waitStudySettled(study.studyId, 40_000);
      const [job] = await fleet.jobs(study.studyId);
      expect(job).toMatchObject({ id: jobId, state: 'completed' });
      const { rows: runs } = await fleet.db.query(`SELECT attempt, device_id FROM runs WHERE job_id = $1`, [jobId]);
      expect(runs).toEqual([{ attempt: 2, device_id: await fleet.deviceId(survivor.name) }]);
      const { rows: attempts } = await fleet.db.query(`SELECT attempt, device_id, outcome FROM job_attempts WHERE job_id = $1 ORDER BY attempt`, [jobId]);
      expect(attempts[0]).toMatchObject({ attempt: 1, device_id: await fleet.deviceId(victim.name) });
      expect(attempts[0].outcome).not.toBe('completed');
      expect(attempts[1]).toMatchObject({ attempt: 2, device_id: await fleet.deviceId(survivor.name), outcome: 'completed' });
      process.stderr.write(`agent-kill: job re-run and stored ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill\n`);

      // The killed agent comes back with its data directory: nothing in its outbox, nothing stored twice.
      const again = fleet.restartAgent(victim);
      await fleet.waitOnline([again.name]);
      expect(outboxEntries(again)).toEqual([]);
      const audit = await fleet.audit(study.studyId);
      expect(audit.problems).toEqual([]);
      expect(audit).toMatchObject({ jobs: 1, completed: 1, runs: 1 });
    }));
});

describe('a live agent whose job outlasts LATFLEET_LEASE_SECONDS', () => {
  let fleet: ProcessFleet;
  let control: ControlHandle;

  beforeAll(async () => {
    // Heartbeats every 2 s (lost after 6 s without one): only the lease can end this attempt early.
    fleet = await ProcessFleet.start('lease-renewal', { heartbeatMs: 2_000, leaseSeconds: LEASE_SECONDS });
    control = await fleet.startControl('control');
  });

  afterAll(async () => {
    await fleet?.close();
  });

  it('keeps its lease while it heartbeats: one attempt, no second agent measuring the same job', () =>
    fleet.guarded(async () => {
      const busy = fleet.startAgent('agent-busy', control.address);
      await fleet.waitOnline([busy.name]);
      const study = await fleet.seed('longer-than-lease', 1, LONGER_THAN_LEASE);
      await pollUntil(async () => (await fleet.jobs(study.studyId))[0]?.phase === 'timed', { what: 'the job running', timeoutMs: 30_000, intervalMs: 50 });
      // An idle agent that a re-queued job would go to.
      const idle = fleet.startAgent('agent-idle', control.address);
      await fleet.waitOnline([idle.name]);
      await fleet.waitStudySettled(study.studyId, 60_000);
      const jobId = study.jobIds[0]!;
      const { rows: attempts } = await fleet.db.query(
        `SELECT a.attempt, d.name, a.outcome, a.error FROM job_attempts a JOIN devices d ON d.id = a.device_id WHERE a.job_id = $1 ORDER BY a.attempt`,
        [jobId],
      );
      const [job] = await fleet.jobs(study.studyId);
      process.stderr.write(`lease-renewal: ${LEASE_SECONDS}-s lease, ${2 * LEASE_SECONDS}-s job: attempts ${JSON.stringify(attempts)}; job row device_id ${job?.device_id}\n`);
      expect((await fleet.audit(study.studyId)).problems).toEqual([]);
      expect(attempts).toEqual([{ attempt: 1, name: busy.name, outcome: 'completed', error: null }]);
      expect(job?.device_id).toBe(await fleet.deviceId(busy.name));
    }));
});
