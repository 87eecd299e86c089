import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessFleet, nextOutboxEntry, outboxEntries, type AgentHandle, type ControlHandle } from '../support/process-fleet.js';
import { pollUntil } from '../support/poll-until.js';
import { SimAgentFleet } from '../support/sim-agent-fleet.js';
import { model } from '../support/study-seed.js';

const HEARTBEAT_MS = 1_000;
const OUTAGE_MS = 5_000;
const PROTOCOL = { timedRuns: 100, profiledRuns: 20 };

/**
 * Postgres stopped (fast shutdown: open transactions abort) while results are being ingested, and
 * started again 5 s later. One real agent's upload is the trigger; 16 simulated agents keep other
 * uploads in flight at the same time.
 */
describe('Postgres restarted in the middle of ingest', () => {
  let fleet: ProcessFleet;
  let control: ControlHandle;
  let agent: AgentHandle;
  let sims: SimAgentFleet;
  let studyId: string;
  let restartedAt = 0;
  const uploadErrors: string[] = [];

  beforeAll(async () => {
    fleet = await ProcessFleet.start('pg-restart', { heartbeatMs: HEARTBEAT_MS, leaseSeconds: 20 });
    control = await fleet.startControl('control');
    agent = fleet.startAgent('agent', control.address);
    sims = new SimAgentFleet({
      address: control.address,
      count: 16,
      enrollmentToken: fleet.token,
      heartbeatMs: HEARTBEAT_MS,
      layerNames: model().layers.map((l) => l.name),
      runMs: () => 1_500 + Math.random() * 1_000,
      events: { uploadFailed: (e) => uploadErrors.push(`${e.agent.name} ${e.jobId}: ${e.code} ${e.details}`) },
    });
    await sims.registerAll(4);
    sims.connectAll();
    await fleet.waitOnline([agent.name, ...sims.agents.map((a) => a.name)]);

    await fleet.guarded(async () => {
      const study = await fleet.seed('pg-restart', 200, PROTOCOL);
      studyId = study.studyId;
      await nextOutboxEntry(agent, 60_000);
      const inFlight = sims.uploading;
      await fleet.stopPostgres();
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      await fleet.startPostgres();
      restartedAt = Date.now();
      process.stderr.write(`pg-restart: Postgres stopped as the real agent began uploading (${inFlight} simulated uploads in flight), back after ${OUTAGE_MS / 1000} s\n`);
    });
  }, 120_000);

  afterAll(async () => {
    sims?.close();
    await fleet?.close();
  });

  it('control keeps running and every result is stored exactly once', { timeout: 120_000 }, () =>
    fleet.guarded(async () => {
      await fleet.waitStudySettled(studyId, 90_000);
      expect(control.proc.alive()).toBe(true);
      const audit = await fleet.audit(studyId);
      expect(audit.problems).toEqual([]);
      expect(audit).toMatchObject({ jobs: 200, completed: 200, runs: 200, latencyRows: 200 * PROTOCOL.timedRuns });
      process.stderr.write(
        `pg-restart: settled ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the restart; ${uploadErrors.length} simulated uploads failed and were re-sent\n`,
      );
    }),
  );

  it('an agent whose upload failed re-sends it without waiting for its session to drop', { timeout: 30_000 }, () =>
    fleet.guarded(async () => {
      await pollUntil(() => outboxEntries(agent).length === 0, { what: 'the real agent re-sending its outbox after the restart', timeoutMs: 15_000 });
    }),
  );

  it('control listens again for new jobs and cancellations (LISTEN on a new connection)', { timeout: 30_000 }, () =>
    fleet.guarded(async () => {
      await pollUntil(
        async () => {
          const { rows } = await fleet.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query ILIKE 'LISTEN %'`);
          return rows[0]!.n > 0;
        },
        { what: 'a LISTEN session of control after the restart', timeoutMs: 15_000, intervalMs: 250 },
      );
    }),
  );

  it('connected agents are online again once their heartbeats reach the database', { timeout: 30_000 }, () =>
    fleet.guarded(async () => {
      await new Promise((r) => setTimeout(r, 3 * HEARTBEAT_MS));
      const { rows } = await fleet.db.query<{ name: string }>(`SELECT name FROM devices WHERE state <> 'online' ORDER BY name`);
      expect(rows.map((r) => r.name)).toEqual([]);
    }),
  );
});
