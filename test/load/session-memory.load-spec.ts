import { afterAll, describe, expect, it } from 'vitest';
import { bearer } from '../support/agent-service.client.js';
import { pollUntil } from '../support/poll-until.js';
import { ProcessFleet } from '../support/process-fleet.js';
import { SimAgentFleet } from '../support/sim-agent-fleet.js';
import { rssMiB } from './process-sampler.js';

const AGENTS = Number(process.env['LOAD_MEMORY_AGENTS'] ?? 100);
const MESSAGES_PER_SECOND = Number(process.env['LOAD_MEMORY_RATE'] ?? 100);
const SECONDS = Number(process.env['LOAD_MEMORY_SECONDS'] ?? 60);
/** Heap growth a GC'd stream still shows (allocator, buffers); retained messages pass it within seconds. */
const ALLOWED_GROWTH_MIB = 20;

/**
 * A long session must not cost control memory per message: agents keep their Connect stream open
 * for days and send a heartbeat every few seconds. Here each of AGENTS sessions sends
 * MESSAGES_PER_SECOND empty ConnectRequests (no heartbeat, no status: control does no database
 * work for them) for SECONDS; control's RSS must stay roughly flat. (A fleet of 1,000 agents sends
 * 200 heartbeats/s idle, and 4 job-status messages/s per busy agent.)
 */
describe('control memory over long Connect sessions', () => {
  let fleet: ProcessFleet | undefined;
  let sims: SimAgentFleet | undefined;

  afterAll(async () => {
    sims?.close();
    await fleet?.close();
  });

  it(`does not grow with the messages a session has carried (${AGENTS} sessions × ${MESSAGES_PER_SECOND}/s × ${SECONDS} s)`, async () => {
    fleet = await ProcessFleet.start('session-memory', { heartbeatMs: 60_000, logLevel: 'warn' });
    const control = await fleet.startControl('control');
    sims = new SimAgentFleet({ address: control.address, count: AGENTS, enrollmentToken: fleet.token, heartbeatMs: 60_000, layerNames: ['stem'], runMs: () => 0 });
    await sims.registerAll(10);
    // Sessions of our own (registered agents' credentials), so that we choose what they send.
    const streams = sims.agents.map((a) => a.opts.stub.connect(bearer(a.credential)));
    for (const s of streams) s.on('error', () => undefined).on('data', () => undefined);
    await pollUntil(async () => (await fleet!.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM devices WHERE state = 'online'`)).rows[0]!.n === AGENTS, {
      what: 'sessions open',
      timeoutMs: 30_000,
    });
    await new Promise((r) => setTimeout(r, 2_000));
    const before = rssMiB(control.proc.pid);
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < SECONDS * 1000) {
      const tickStart = Date.now();
      for (const s of streams) {
        for (let i = 0; i < MESSAGES_PER_SECOND / 10; i++) {
          s.write({});
          sent++;
        }
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - tickStart))));
    }
    await new Promise((r) => setTimeout(r, 5_000));
    const after = rssMiB(control.proc.pid);
    for (const s of streams) s.end();
    process.stdout.write(
      `session-memory: ${sent} messages over ${AGENTS} sessions; control RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MiB (${(((after - before) * 2 ** 20) / sent).toFixed(0)} bytes per message)\n`,
    );
    expect(after - before).toBeLessThan(ALLOWED_GROWTH_MIB);
  });
});
