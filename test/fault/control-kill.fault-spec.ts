import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessFleet, nextOutboxEntry, outboxEntries, type AgentHandle, type ControlHandle } from '../support/process-fleet.js';
import { pollUntil } from '../support/poll-until.js';
import { TcpRelay } from '../support/tcp-relay.js';

const JOB = { timedRuns: 300, profiledRuns: 3 };

/**
 * Control replicas killed with SIGKILL while an agent uploads: either as soon as the upload starts
 * (`early`: before or while the run is stored) or once the run is committed but before the
 * acknowledgement reaches the agent (`after-store`: the relay holds the reply back).
 */
type KillPoint = 'early' | 'after-store';

describe('control killed with SIGKILL in the middle of an upload', () => {
  let fleet: ProcessFleet;

  beforeAll(async () => {
    fleet = await ProcessFleet.start('control-kill', { heartbeatMs: 1_000, leaseSeconds: 60 });
  });

  afterAll(async () => {
    await fleet?.close();
  });

  const runRow = async (jobId: string) => (await fleet.db.query(`SELECT id FROM runs WHERE job_id = $1`, [jobId])).rows[0] as { id: string } | undefined;

  /**
   * One job: waits for its upload to start, kills the replica `victim()` names at `point`, restarts
   * it on the same port, and waits until the agent has delivered the results. Returns whether the
   * acknowledgement was held back (the agent must have re-sent results already stored).
   */
  async function killDuringUpload(agent: AgentHandle, point: KillPoint, victim: () => { control: ControlHandle; relay?: TcpRelay }, study: string) {
    const seeded = await fleet.seed(study, 1, JOB);
    const jobId = seeded.jobIds[0]!;
    const key = await nextOutboxEntry(agent, 60_000);
    const { control, relay } = victim();
    if (point === 'after-store') {
      relay!.holdReplies(true);
      await pollUntil(() => runRow(jobId), { what: `run of job ${jobId} stored`, timeoutMs: 20_000, intervalMs: 10 });
    }
    control.proc.kill('SIGKILL');
    await control.proc.exited;
    relay?.holdReplies(false);
    const heldBack = point === 'after-store' && outboxEntries(agent).includes(key);
    await fleet.startControl(control.label, control.port);
    await fleet.waitStudySettled(seeded.studyId, 45_000);
    await pollUntil(() => outboxEntries(agent).length === 0, { what: 'the agent emptying its outbox', timeoutMs: 30_000 });
    const audit = await fleet.audit(seeded.studyId);
    expect(audit.problems).toEqual([]);
    expect(audit).toMatchObject({ completed: 1, runs: 1, latencyRows: JOB.timedRuns });
    // the agent re-sends stored results exactly when control stored them but its acknowledgement was held back
    const resent = readFileSync(agent.proc.logFile, 'utf8').includes(`results of ${key} stored as run ${(await runRow(jobId))!.id} (already stored)`);
    expect(resent).toBe(heldBack);
    process.stderr.write(
      `control-kill: ${study}: ${control.label} killed ${point === 'early' ? 'as the upload started' : heldBack ? 'after the run was stored, before the ack' : 'after the ack (not caught)'}; stored once\n`,
    );
  }

  it('the agent reconnects to the restarted control at the same address and nothing is lost or doubled', { timeout: 120_000 }, () =>
    fleet.guarded(async () => {
      const control = await fleet.startControl('control-solo');
      const agent = fleet.startAgent('agent-solo', control.address);
      await fleet.waitOnline([agent.name]);
      await killDuringUpload(agent, 'early', () => ({ control: fleet.controls.find((c) => c.label === 'control-solo')! }), 'solo-early');
      await agent.proc.stop();
    }),
  );

  it('two replicas: the agent moves to the other one, repeatedly, and every row is stored once', { timeout: 150_000 }, () =>
    fleet.guarded(async () => {
      const a = await fleet.startControl('control-a');
      const b = await fleet.startControl('control-b');
      // One relay per replica, so that a reply can be held back; the agent lists both (failover order).
      const relays = [await TcpRelay.start([a.port]), await TcpRelay.start([b.port])];
      try {
        const agent = fleet.startAgent('agent-ha', relays.map((r) => r.address).join(','));
        await fleet.waitOnline([agent.name]);
        const connected = () => {
          const i = relays.findIndex((r) => r.upstreamPorts().length > 0);
          if (i < 0) throw new Error('the agent is connected to no replica');
          return { control: fleet.controls.find((c) => c.label === (i === 0 ? 'control-a' : 'control-b'))!, relay: relays[i]! };
        };
        const points: KillPoint[] = ['early', 'after-store', 'early'];
        for (const [round, point] of points.entries()) await killDuringUpload(agent, point, connected, `ha-${round}-${point}`);
        expect(readFileSync(agent.proc.logFile, 'utf8')).toMatch(/unreachable/);
      } finally {
        await Promise.all(relays.map((r) => r.close()));
      }
    }),
  );
});
