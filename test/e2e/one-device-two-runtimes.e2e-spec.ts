import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCpuList } from '../../services/cli/core-affinity.js';
import { LocalFleet } from '../../services/cli/fleet.js';
import { waitForStudy } from '../../services/cli/study-progress.js';
import type { Comparison } from '../../services/query/contract.js';
import type { StudyDetail } from '../../services/query/study.repository.js';
import { localFleetConfig } from '../support/local-fleet-config.js';

// No retries (a shared machine flags runs busy; flagged rounds still pair); exactly 3 rounds.
const PROTOCOL = { warmupRuns: 2, timedRuns: 10, profiledRuns: 2, maxRetries: 0, replicates: 3, maxReplicates: 3 };
const STUDY = {
  name: 'onnx-vs-tflite-one-device',
  base: 'mobilenetv3-small-0.75@96',
  axes: { format: ['onnx', 'tflite'] },
  baseline: 'onnx',
  protocol: PROTOCOL,
};

describe('one CPU agent running ONNX Runtime and LiteRT (LATFLEET_AGENT_RUNNER=ort-node+litert), end to end', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latfleet-e2e-two-runtimes-'));
  // the machine's other core runs benchmarks
  const config = localFleetConfig(dataDir, { LATFLEET_AGENT_CORE: '0', LATFLEET_AGENT_RUNNER: 'ort-node+litert' });
  let fleet: LocalFleet;
  let db: pg.Client;
  let study: StudyDetail;
  let affinityBefore: string;

  beforeAll(async () => {
    affinityBefore = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
    fleet = new LocalFleet(config);
    await fleet.start(() => undefined);
    db = new pg.Client({ connectionString: fleet.databaseUrl });
    await db.connect();
    const created = await fleet.api.createStudy(STUDY);
    study = await waitForStudy(fleet.api, created.id, { quiet: true, intervalMs: 200, timeoutMs: 240_000 });
  });

  afterAll(async () => {
    await db?.end();
    await fleet?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the fleet’s own services off the agent’s core, and gives this process its cores back', () => {
    const allowed = (pid: number) => /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
    expect(allowed(fleet.pid('agent')!)).toBe('0');
    expect(parseCpuList(allowed(fleet.pid('control')!)!)).not.toContain(0);
    expect(parseCpuList(allowed(fleet.pid('query')!)!)).not.toContain(0);
    expect(allowed(process.pid)).toBe(affinityBefore);
  });

  it('registers one device that announces both formats, and measures every round of both on it', async () => {
    const { rows: devices } = await db.query(`SELECT name, runner, formats FROM devices`);
    expect(devices).toEqual([{ name: expect.stringMatching(/-cpu$/), runner: 'ort-node+litert', formats: ['onnx', 'tflite'] }]);
    const { rows } = await db.query(
      `SELECT m.format, r.round, r.environment->>'runtimeVersion' AS runtime
         FROM runs r JOIN models m ON m.sha256 = r.model_sha256 WHERE r.study_id = $1 ORDER BY m.format, r.round`,
      [study.id],
    );
    expect(study.status).toBe('completed');
    expect(rows.map((r) => [r.format, r.round])).toEqual([
      ['onnx', 0],
      ['onnx', 1],
      ['onnx', 2],
      ['tflite', 0],
      ['tflite', 1],
      ['tflite', 2],
    ]);
    expect(new Set(rows.filter((r) => r.format === 'onnx').map((r) => r.runtime.split(' ')[0]))).toEqual(new Set(['onnxruntime-node']));
    expect(new Set(rows.filter((r) => r.format === 'tflite').map((r) => r.runtime.split(' ')[0]))).toEqual(new Set(['@litertjs/core']));
  });

  it('pairs the TFLite variant with its ONNX twin round by round on that device: a Δ between runtimes with its interval', async () => {
    const res = await fetch(new URL(`/api/v1/studies/${study.id}/comparison?include=flagged`, fleet.api.baseUrl));
    const comparison = (await res.json()) as Comparison;
    const tflite = comparison.rows.find((r) => !r.baseline)!;

    expect(comparison.devices).toHaveLength(1);
    expect(tflite).toMatchObject({ variant: 'tflite', design: 'paired', rounds: 3 });
    expect(tflite.deltaCiLowPct).toBeLessThan(tflite.deltaPct!);
    expect(tflite.deltaCiHighPct).toBeGreaterThan(tflite.deltaPct!);
  });

  it('gives each row the median model load and peak memory of its runs, as both runtimes record them', async () => {
    const res = await fetch(new URL(`/api/v1/studies/${study.id}/comparison?include=flagged`, fleet.api.baseUrl));
    const { rows } = (await res.json()) as Comparison;

    expect(rows.map((r) => [r.variant, r.resources?.runs])).toEqual([
      ['onnx', 3],
      ['tflite', 3],
    ]);
    for (const r of rows) expect(Math.min(r.resources!.loadFirstMs, r.resources!.loadWarmMs, r.resources!.peakResidentBytes)).toBeGreaterThan(0);
  });
});
