import { Subject } from 'rxjs';
import { Logger } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import type { LatfleetConfig } from '../lib/config/index.js';
import { JobPhase, type ConnectResponse } from '../lib/proto/index.js';
import type { DeviceRepository } from './device.repository.js';
import type { DeviceLease, JobRepository, LeasingDevice } from './job.repository.js';
import { JobService } from './job.service.js';
import { SessionRegistry, type AgentSession } from './session.registry.js';

/** Job ids are UUIDs: `job(3)` is the fourth the fake repository leased. */
const job = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const CONFIG = { leaseSeconds: 600, maxJobSeconds: 3_600, heartbeatMs: 1_000 } as LatfleetConfig;

function session(n: number): AgentSession & { sent: ConnectResponse[] } {
  const out = new Subject<ConnectResponse>();
  const sent: ConnectResponse[] = [];
  out.subscribe((m) => sent.push(m));
  const device = { id: `device-${n}`, deviceClass: 'cpu', cpuModel: 'x', tags: {} };
  return { deviceId: device.id, deviceName: `d${n}`, device, out, busy: false, jobIds: new Set(), assignedAt: 0, sent };
}

const lease = (deviceId: string, jobId: string, roundPosition = 0): DeviceLease => ({
  deviceId,
  jobId,
  attempt: 1,
  studyId: 's',
  variantLabel: 'v',
  modelSha256: 'a'.repeat(64),
  modelSizeBytes: 1,
  inputName: 'input',
  inputShape: [1, 3, 8, 8],
  layerNames: ['stem'],
  modelFormat: 'onnx',
  protocol: { warmupRuns: 1, timedRuns: 1, profiledRuns: 0, graphOptimizationLevel: 'all' },
  round: 0,
  roundPosition,
});

function setup(...sessions: AgentSession[]) {
  const registry = new SessionRegistry();
  for (const s of sessions) registry.add(s);
  let next = 0;
  const jobs = {
    hasQueued: vi.fn(async () => true),
    leaseBatch: vi.fn(async (devices: LeasingDevice[], _leaseSeconds: number) => devices.map((d) => lease(d.id, job(next++)))),
    rejectAttempt: vi.fn(async () => undefined),
    extendLease: vi.fn(async () => undefined),
    failAttempt: vi.fn(async (..._args: unknown[]) => undefined),
  };
  const sut = new JobService(CONFIG, jobs as unknown as JobRepository, {} as DeviceRepository, registry);
  return { sut, jobs, registry };
}

describe(JobService.name, () => {
  it('leases jobs for all idle agents in one batch and sends each its assignment', async () => {
    const agents = [session(1), session(2), session(3)];
    const { sut, jobs } = setup(...agents);
    await sut.dispatch();
    expect(jobs.leaseBatch).toHaveBeenCalledTimes(1);
    expect(jobs.leaseBatch.mock.calls[0]![0]).toHaveLength(3);
    expect(jobs.leaseBatch.mock.calls[0]![1]).toBe(600);
    expect(agents.map((a) => a.sent[0]?.round?.jobs.map((j) => j.jobId))).toEqual([[job(0)], [job(1)], [job(2)]]);
    expect(agents.every((a) => a.busy)).toBe(true);
  });

  it('serves agents freed during a pass together in the next one', async () => {
    const agents = [session(1), session(2), session(3)];
    const { sut, jobs } = setup(...agents);
    await sut.dispatch();
    agents.forEach((a, i) => sut.release(a, job(i)));
    // waits for the passes the releases queued (asking for the same agent again: no pass for everyone)
    await sut.dispatch(agents[2]);
    expect(jobs.leaseBatch).toHaveBeenCalledTimes(2);
    expect(jobs.leaseBatch.mock.calls[1]![0].map((d) => d.id)).toEqual(agents.map((a) => a.deviceId));
  });

  it('hands a lease back at once, without counting the attempt, when its agent left while it was written', async () => {
    const agent = session(1);
    const { sut, jobs, registry } = setup(agent);
    jobs.leaseBatch.mockImplementationOnce(async (devices: LeasingDevice[]) => {
      registry.remove(agent);
      return devices.map((d) => lease(d.id, 'job-x'));
    });
    await sut.dispatch();
    await vi.waitFor(() => expect(jobs.rejectAttempt).toHaveBeenCalledWith('job-x', agent.deviceId, 1, expect.stringMatching(/disconnected/)));
    expect(agent.sent).toHaveLength(0);
  });

  it('keeps an agent that handed its job back busy, offering it nothing until it reports idle', async () => {
    const agent = session(1);
    const { sut, jobs } = setup(agent);
    await sut.dispatch();
    await sut.status(agent, { jobId: job(0), attempt: 1, phase: JobPhase.JOB_PHASE_REJECTED, progress: 0, message: 'agent busy with job z' });
    expect(jobs.rejectAttempt).toHaveBeenCalledWith(job(0), agent.deviceId, 1, 'agent busy with job z');
    expect(agent.busy).toBe(true);
    expect(agent.jobIds.size).toBe(0);
    await sut.dispatch();
    expect(jobs.leaseBatch).toHaveBeenCalledTimes(1);
    // An idle heartbeat older than the assignment frees it.
    agent.assignedAt = Date.now() - 10 * CONFIG.heartbeatMs;
    sut.idle(agent);
    await sut.dispatch(agent);
    expect(jobs.leaseBatch).toHaveBeenCalledTimes(2);
    expect(agent.sent.at(-1)?.round?.jobs[0]?.jobId).toBe(job(1));
  });

  it('sends a round in one message and frees the agent only when every job of it is done', async () => {
    const agent = session(1);
    const { sut, jobs } = setup(agent);
    jobs.leaseBatch.mockImplementationOnce(async (devices: LeasingDevice[]) => [lease(devices[0]!.id, 'b', 0), lease(devices[0]!.id, 'a', 1)]);
    await sut.dispatch();
    expect(agent.sent).toHaveLength(1);
    expect(agent.sent[0]!.round!.jobs.map((j) => j.jobId)).toEqual(['b', 'a']);
    sut.release(agent, 'b');
    expect(agent.busy).toBe(true);
    sut.release(agent, 'a');
    expect(agent.busy).toBe(false);
    await sut.dispatch(agent);
    expect(jobs.leaseBatch).toHaveBeenCalledTimes(2);
  });

  it("logs a held job's failure on one line, its text cut to the limit, and stores the same text", async () => {
    const agent = session(1);
    const { sut, jobs } = setup(agent);
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await sut.dispatch();

    await sut.status(agent, { jobId: job(0), attempt: 1, phase: JobPhase.JOB_PHASE_FAILED, progress: 0, message: `oom\n[Nest] forged line${'x'.repeat(1_000_000)}` });

    const line = String(warn.mock.calls[0]![0]);
    expect(line).not.toContain('\n');
    expect(line.length).toBeLessThan(1_000);
    expect(jobs.failAttempt).toHaveBeenCalledWith(job(0), agent.deviceId, 1, expect.stringMatching(/^oom \[Nest\] forged line/));
    expect(line.endsWith(String((jobs.failAttempt.mock.calls[0] as unknown[])[3]))).toBe(true);
    warn.mockRestore();
  });

  it('logs a status for a job the session does not hold briefly, without its text', async () => {
    const agent = session(1);
    const { sut } = setup(agent);
    const logged = [vi.spyOn(Logger.prototype, 'warn'), vi.spyOn(Logger.prototype, 'debug'), vi.spyOn(Logger.prototype, 'log')].map((s) => s.mockImplementation(() => undefined));

    await sut.status(agent, { jobId: job(42), attempt: 1, phase: JobPhase.JOB_PHASE_FAILED, progress: 0, message: 'x'.repeat(1_000_000) });
    await sut.status(agent, { jobId: 'not\na job', attempt: 1, phase: JobPhase.JOB_PHASE_FAILED, progress: 0, message: 'forged' });

    const lines = logged.flatMap((s) => s.mock.calls.map((c) => String(c[0])));
    expect(logged[0]!.mock.calls).toHaveLength(0);
    expect(lines.every((l) => l.length < 200 && !l.includes('\n') && !l.includes('forged'))).toBe(true);
    logged.forEach((s) => s.mockRestore());
  });

  it('extends a lease on heartbeats with the maximum job duration as the cap', async () => {
    const agent = session(1);
    const { sut, jobs } = setup(agent);
    await sut.extendLease(agent, job(9));
    expect(jobs.extendLease).toHaveBeenCalledWith(job(9), agent.deviceId, 600, 3_600);
  });
});
