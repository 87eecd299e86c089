import { Injectable, Logger } from '@nestjs/common';
import { ErrorCode, LatfleetError, PG_INT_MAX, rejectNulCharacters, UUID_PATTERN } from '../lib/errors/index.js';
import { ProtocolError, resolveProtocol, summarize, timedMaxRuns } from '../lib/measure/index.js';
import type { JobProtocol } from '../lib/store/index.js';
import type { LayerTiming, Protocol, UploadResultsRequest, UploadResultsResponse } from '../lib/proto/index.js';
import { JobRepository } from './job.repository.js';
import { RunRepository, type RunRecord, type UploadRecord } from './run.repository.js';
import { uploadBytes } from './upload-size.js';

/** An hour: no single inference we measure takes longer; larger values are corrupt. */
const MAX_NS = 3_600e9;
/** A microsecond: no timed inference of a whole network is faster; smaller values are corrupt. */
const MIN_NS = 1_000;
/** A run's clock may run ahead of control's by this much, not more. */
const MAX_CLOCK_AHEAD_MS = 86_400_000;
/** Deeper than any report an agent writes; Postgres's jsonb (and JSON.stringify) would fail on far deeper ones. */
const MAX_REPORT_DEPTH = 32;

@Injectable()
export class RunService {
  private readonly logger = new Logger(RunService.name);

  constructor(
    private readonly runs: RunRepository,
    private readonly jobs: JobRepository,
  ) {}

  /**
   * Validates a whole upload, then stores it in one transaction. Re-sent uploads are acknowledged,
   * not stored twice. Every upload, stored, repeated or rejected, is recorded for the ingest metrics.
   */
  async ingest(deviceId: string, parts: UploadResultsRequest[], bytes = uploadBytes(parts)): Promise<UploadResultsResponse> {
    const jobId = parts[0]?.jobId;
    const attempt = parts[0]?.attempt;
    const record = (outcome: UploadRecord['outcome'], extra: Partial<UploadRecord> = {}) =>
      this.runs.recordUpload({
        deviceId,
        // what cannot be stored as a job reference is recorded as none: the rejection still counts
        jobId: jobId && UUID_PATTERN.test(jobId) ? jobId : null,
        attempt: attempt !== undefined && attempt <= PG_INT_MAX ? attempt : null,
        outcome,
        bytes,
        ...extra,
      });
    try {
      const ack = await this.ingestValid(deviceId, parts, bytes);
      if (ack.duplicate) await record('duplicate', { runId: ack.runId || null });
      return ack;
    } catch (err) {
      if (err instanceof LatfleetError) await record('rejected', { errorCode: err.code, field: err.field ?? null }).catch(() => undefined);
      throw err;
    }
  }

  private async ingestValid(deviceId: string, parts: UploadResultsRequest[], bytes: number): Promise<UploadResultsResponse> {
    const first = parts[0];
    if (!first) throw LatfleetError.validation('upload', 'empty: expected a summary, latencies and layers');
    const { jobId, attempt } = first;
    if (!jobId) throw LatfleetError.validation('job_id', 'required');
    if (!UUID_PATTERN.test(jobId)) throw LatfleetError.validation('job_id', 'expected a job id (uuid)');
    if (attempt > PG_INT_MAX) throw LatfleetError.validation('attempt', `at most ${PG_INT_MAX}`);
    for (const p of parts) {
      if (p.jobId !== jobId || p.attempt !== attempt) {
        throw LatfleetError.validation('job_id', 'every chunk of one upload must name the same job and attempt');
      }
    }
    // Ownership before anything else: whether (and by which run) a job is done is not another agent's business.
    const lease = await this.jobs.findGrantedAttempt(jobId, deviceId, attempt);
    if (!lease) throw notGranted(jobId, attempt);
    const already = await this.runs.findRun(jobId, attempt);
    if (already) return { runId: already.runId, latencyRows: already.latencyRows, layerRows: already.layerRows, duplicate: true };

    const chunks = dedupeBySequence(parts);
    const summary = chunks[0]?.summary;
    if (!summary) throw LatfleetError.validation('summary', 'the first chunk (sequence 0) must carry the run summary');
    checkComplete(chunks, summary.messageCount);
    const latencies = chunks.flatMap((c) => c.latencies?.latenciesNs ?? []);
    const layers = chunks.flatMap((c) => c.layers?.timings ?? []);
    if (latencies.length === 0) throw LatfleetError.validation('latencies', 'at least one timed run is required');
    checkCounts(latencies.length, layers, lease.protocol);
    latencies.forEach((ns, i) => {
      if (!plausibleNs(ns, MIN_NS)) throw LatfleetError.validation(`latencies[${i}]`, `${ns} ns is not a plausible latency`);
    });
    checkMinimumRuns(latencies.length, lease.protocol);
    checkLayers(layers);
    if (summary.modelSha256 !== lease.modelSha256) {
      throw LatfleetError.validation('summary.model_sha256', `${JSON.stringify(summary.modelSha256.slice(0, 80))} is not the model of job ${jobId}`);
    }
    checkTimes(summary.startedAtUnixMs, summary.finishedAtUnixMs);
    if (!plausibleNs(summary.profiledMedianNs, 0)) {
      throw LatfleetError.validation('summary.profiled_median_ns', `${summary.profiledMedianNs} ns is not a plausible duration`);
    }
    rejectNulCharacters(summary.environment, 'summary.environment');
    const report = parseReport(summary.reportJson);
    const protocol = toProtocol(summary.protocol);
    const modelSha256 = summary.modelSha256;

    const stored = await this.runs.store(
      jobId,
      deviceId,
      attempt,
      (lease): RunRecord => ({
        lease,
        modelSha256,
        startedAt: new Date(summary.startedAtUnixMs),
        finishedAt: new Date(summary.finishedAtUnixMs),
        protocol,
        environment: { ...(summary.environment ?? {}) },
        stats: summarize(latencies),
        profiledMedianNs: summary.profiledMedianNs,
        flagged: summary.flagged,
        report,
        latenciesNs: latencies,
        // attributed by the agent (services/agent/agent.service.ts withLayers): '' is a node no layer claims
        layers,
      }),
      bytes,
    );
    if (stored === 'not-granted') throw notGranted(jobId, attempt);
    if (stored === 'cancelled') {
      throw new LatfleetError(ErrorCode.PermissionDenied, `job ${jobId} was cancelled: results of attempt ${attempt} are no longer accepted`);
    }
    if (stored === 'superseded') {
      // The job's results are stored (by another attempt): this upload is not needed; the ack names that run.
      const run = await this.runs.findRun(jobId);
      if (!run) throw new LatfleetError(ErrorCode.Internal, `job ${jobId} is completed but has no run`);
      this.logger.warn(`job ${jobId} attempt ${attempt}: results arrived after run ${run.runId} completed the job; not stored`);
      return { runId: run.runId, latencyRows: run.latencyRows, layerRows: run.layerRows, duplicate: true };
    }
    this.logger.log(`run ${stored.runId}: ${stored.latencyRows} latencies, ${stored.layerRows} layer timings (job ${jobId})`);
    return { runId: stored.runId, latencyRows: stored.latencyRows, layerRows: stored.layerRows, duplicate: false };
  }
}

const notGranted = (jobId: string, attempt: number) => new LatfleetError(ErrorCode.PermissionDenied, `job ${jobId} attempt ${attempt} was never leased to this agent`);

/** A duration in ns Postgres can store and a measurement could produce: finite, at least `min`, at most an hour. */
const plausibleNs = (ns: number, min: number) => Number.isFinite(ns) && ns >= min && ns <= MAX_NS;

function checkLayers(layers: LayerTiming[]): void {
  const seen = new Set<string>();
  layers.forEach((l, i) => {
    if (!plausibleNs(l.durationNs, 0)) throw LatfleetError.validation(`layers[${i}].duration_ns`, `${l.durationNs} ns is not a plausible duration`);
    if (!l.nodeName) throw LatfleetError.validation(`layers[${i}].node_name`, 'required');
    if (l.overheadNs !== undefined && !plausibleNs(l.overheadNs, 0)) {
      throw LatfleetError.validation(`layers[${i}].overhead_ns`, `${l.overheadNs} ns is not a plausible duration`);
    }
    if (!(Number.isInteger(l.iteration) && l.iteration >= 0 && l.iteration <= PG_INT_MAX)) {
      throw LatfleetError.validation(`layers[${i}].iteration`, `at most ${PG_INT_MAX}`);
    }
    rejectNulCharacters(l, `layers[${i}]`);
    const key = `${l.iteration}\0${l.nodeName}`;
    if (seen.has(key)) throw LatfleetError.validation(`layers[${i}]`, `duplicate timing of node '${l.nodeName}' in iteration ${l.iteration}`);
    seen.add(key);
  });
  checkSameNodes(layers);
}

/**
 * Every profiled iteration ran the same graph, so it times the same nodes: one missing from an
 * iteration would leave that iteration out of its layer's median.
 */
function checkSameNodes(layers: LayerTiming[]): void {
  const nodesOf = new Map<number, Set<string>>();
  for (const l of layers) {
    let nodes = nodesOf.get(l.iteration);
    if (!nodes) nodesOf.set(l.iteration, (nodes = new Set()));
    nodes.add(l.nodeName);
  }
  const [first, ...others] = [...nodesOf.entries()].sort((a, b) => a[0] - b[0]);
  if (!first) return;
  const [firstIteration, expected] = first;
  for (const [iteration, nodes] of others) {
    const missing = [...expected].find((n) => !nodes.has(n));
    const extra = [...nodes].find((n) => !expected.has(n));
    if (missing === undefined && extra === undefined) continue;
    const which = missing !== undefined ? `lacks node '${missing}'` : `has node '${extra}'`;
    throw LatfleetError.validation('layers', `profiled iteration ${iteration} ${which}, unlike iteration ${firstIteration}: every iteration must time the same nodes`);
  }
}

/** A run starts before it finishes, after 1970, and finishes no later than a day ahead of control's clock. */
function checkTimes(startedAtMs: number, finishedAtMs: number): void {
  if (!(Number.isSafeInteger(startedAtMs) && startedAtMs >= 0 && startedAtMs <= Date.now() + MAX_CLOCK_AHEAD_MS)) {
    throw LatfleetError.validation('summary.started_at_unix_ms', `${startedAtMs} is not a plausible time`);
  }
  if (!(Number.isSafeInteger(finishedAtMs) && finishedAtMs <= Date.now() + MAX_CLOCK_AHEAD_MS)) {
    throw LatfleetError.validation('summary.finished_at_unix_ms', `${finishedAtMs} is more than a day ahead of the control plane's clock`);
  }
  if (finishedAtMs < startedAtMs) throw LatfleetError.validation('summary.finished_at_unix_ms', 'before started_at_unix_ms');
}

/**
 * An upload holds no more timed runs than the job's protocol allows (its cap, `timedMaxRuns`) and
 * no more profiled iterations than it asks for: a run of three million latencies is not a run.
 * Checked before the values themselves, so an absurd upload costs no more than its length.
 */
function checkCounts(latencies: number, layers: ReadonlyArray<{ iteration: number }>, jobProtocol: JobProtocol): void {
  const p = resolveProtocol(jobProtocol);
  const cap = timedMaxRuns(p);
  if (latencies > cap) throw LatfleetError.validation('latencies', `${latencies} timed runs; the job's protocol allows at most ${cap}`);
  const iterations = new Set(layers.map((l) => l.iteration)).size;
  if (iterations > p.profiledRuns) throw LatfleetError.validation('layers', `${iterations} profiled iterations; the job's protocol asks for ${p.profiledRuns}`);
}

/** Nor is a run cut short: every runner times at least the `timedRuns` the job asks for. */
function checkMinimumRuns(latencies: number, jobProtocol: JobProtocol): void {
  const { timedRuns } = resolveProtocol(jobProtocol);
  if (latencies < timedRuns) throw LatfleetError.validation('latencies', `${latencies} timed runs; the job's protocol asks for at least ${timedRuns}`);
}

/** The agent's measurement report; kept as sent (it is the agent's account), but it must be a JSON object Postgres can store. */
function parseReport(json: string): Record<string, unknown> {
  if (!json) return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw LatfleetError.validation('summary.report_json', 'not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw LatfleetError.validation('summary.report_json', 'expected a JSON object');
  if (jsonDepth(value) > MAX_REPORT_DEPTH) throw LatfleetError.validation('summary.report_json', `nested deeper than ${MAX_REPORT_DEPTH} levels`);
  rejectNulCharacters(value, 'summary.report_json');
  return value as Record<string, unknown>;
}

/** Nesting depth of a parsed JSON value, without recursion (the value may be nested thousands deep). */
function jsonDepth(value: unknown): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [v, depth] = pending.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_REPORT_DEPTH) return deepest;
    for (const inner of Object.values(v)) pending.push([inner, depth + 1]);
  }
  return deepest;
}

/** A chunk re-sent within one stream (same sequence) counts once. */
/** A stream cut short (the agent's call cancelled mid-upload) must not become a run without its layers. */
function checkComplete(chunks: UploadResultsRequest[], announced: number): void {
  if (announced === 0) return;
  const beyond = chunks.find((c) => c.sequence >= announced);
  if (beyond) throw LatfleetError.validation('sequence', `${beyond.sequence} is beyond the ${announced} messages the summary announces`);
  if (chunks.length < announced) {
    throw new LatfleetError(ErrorCode.Unavailable, `upload incomplete: ${chunks.length} of ${announced} messages arrived; nothing stored, send it again`);
  }
}

function dedupeBySequence(parts: UploadResultsRequest[]): UploadResultsRequest[] {
  const bySeq = new Map<number, UploadResultsRequest>();
  for (const p of parts) if (!bySeq.has(p.sequence)) bySeq.set(p.sequence, p);
  return [...bySeq.entries()].sort(([a], [b]) => a - b).map(([, p]) => p);
}

function toProtocol(p: Protocol | undefined): JobProtocol {
  if (!p) throw LatfleetError.validation('summary.protocol', 'required');
  try {
    return resolveProtocol(p);
  } catch (err) {
    if (err instanceof ProtocolError) throw LatfleetError.validation(`summary.protocol.${err.field}`, err.reason, 'PROTOCOL_INVALID');
    throw err;
  }
}
