import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessFleet, nextOutboxEntry, outboxEntries, type AgentHandle, type ControlHandle } from '../support/process-fleet.js';
import { pollUntil } from '../support/poll-until.js';
import { TcpRelay } from '../support/tcp-relay.js';

const JOB = { timedRuns: 300, profiledRuns: 3 };

describe('an agent killed with SIGKILL while uploading, then restarted on the same data directory', () => {
  let fleet: ProcessFleet;
  let control: ControlHandle;
  let relay: TcpRelay;
  let agent: AgentHandle;

  beforeAll(async () => {
    fleet = await ProcessFleet.start('agent-upload', { heartbeatMs: 1_000, leaseSeconds: 60 });
    control = await fleet.startControl('control');
    // The agent reaches control through a relay that can hold control's replies back.
    relay = await TcpRelay.start([control.port]);
    agent = fleet.startAgent('agent', relay.address);
    await fleet.waitOnline([agent.name]);
  });

  afterAll(async () => {
    await relay?.close();
    await fleet?.close();
  });

  const runRow = async (jobId: string) => (await fleet.db.query(`SELECT id FROM runs WHERE job_id = $1`, [jobId])).rows[0] as { id: string } | undefined;

  async function restartAndDrain(): Promise<void> {
    await agent.proc.exited;
    agent = fleet.restartAgent(agent);
    await pollUntil(() => outboxEntries(agent).length === 0, { what: 'the restarted agent emptying its outbox', timeoutMs: 30_000 });
  }

  it('re-sends the results it had not got acknowledged, and they are stored once', () =>
    fleet.guarded(async () => {
      const study = await fleet.seed('killed-before-ack', 1, JOB);
      const key = await nextOutboxEntry(agent, 60_000);
      agent.proc.kill('SIGKILL');
      await agent.proc.exited;
      expect(outboxEntries(agent)).toEqual([key]);
      const storedBeforeRestart = Boolean(await runRow(study.jobIds[0]!));

      await restartAndDrain();
      await fleet.waitStudySettled(study.studyId, 30_000);
      const audit = await fleet.audit(study.studyId);
      expect(audit.problems).toEqual([]);
      expect(audit).toMatchObject({ completed: 1, runs: 1, latencyRows: JOB.timedRuns });
      process.stderr.write(`agent-upload: killed ${storedBeforeRestart ? 'after' : 'before'} the run was stored; re-sent on restart, stored once\n`);
    }));

  it('re-sends results stored but never acknowledged: acknowledged as a duplicate, not stored twice', () =>
    fleet.guarded(async () => {
      // Up to three jobs: the acknowledgement must be caught before it reaches the agent.
      for (let round = 0; round < 3; round++) {
        const study = await fleet.seed(`killed-after-store-${round}`, 1, JOB);
        const jobId = study.jobIds[0]!;
        const key = await nextOutboxEntry(agent, 60_000);
        relay.holdReplies(true);
        await pollUntil(() => runRow(jobId), { what: `run of job ${jobId} stored`, timeoutMs: 20_000, intervalMs: 10 });
        agent.proc.kill('SIGKILL');
        await agent.proc.exited;
        relay.holdReplies(false);
        const caught = outboxEntries(agent).includes(key);

        await restartAndDrain();
        await fleet.waitStudySettled(study.studyId, 30_000);
        const audit = await fleet.audit(study.studyId);
        expect(audit.problems).toEqual([]);
        expect(audit).toMatchObject({ completed: 1, runs: 1, latencyRows: JOB.timedRuns });
        if (!caught) continue;
        process.stderr.write(`agent-upload: acknowledgement held back on round ${round + 1}; the re-send was acknowledged as already stored\n`);
        expect(readFileSync(agent.proc.logFile, 'utf8')).toContain(`results of ${key} stored as run ${(await runRow(jobId))!.id} (already stored)`);
        return;
      }
      throw new Error('the acknowledgement reached the agent before the relay could hold it, three times');
    }));
});
