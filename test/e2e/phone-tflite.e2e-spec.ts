import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakePhone, type FakePhone } from '../../services/agent/runners/fixtures/fake-phone.js';
import { LocalFleet } from '../../services/cli/fleet.js';
import { waitForStudy } from '../../services/cli/study-progress.js';
import { buildTflite } from '../../services/lib/models/index.js';
import type { StudyDetail } from '../../services/query/contract.js';
import { localFleetConfig } from '../support/local-fleet-config.js';

const VARIANT = 'mobilenetv3-small-0.75@96';
const PROTOCOL = { warmupRuns: 2, timedRuns: 3, profiledRuns: 2, maxRetries: 0, replicates: 1, maxReplicates: 1 };
const REMOTE = '/data/local/tmp/latfleet';

/**
 * A generated `.tflite` reaching a phone: a study asks for TFLite on Android devices, control leases
 * it to the agent that drives a phone over adb (the stand-in adb and benchmark_model of
 * services/agent/runners/fixtures, which print the real tools' output), and the model the phone
 * receives is the builder's TFLite file, byte for byte.
 */
describe('a generated TFLite model measured on a phone through adb and benchmark_model, end to end', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latfleet-e2e-phone-'));
  const config = localFleetConfig(dataDir, { LATFLEET_AGENT_CORE: '0' });
  let fleet: LocalFleet;
  let phone: FakePhone;
  let db: pg.Client;
  let study: StudyDetail;

  beforeAll(async () => {
    phone = createFakePhone();
    fleet = new LocalFleet(config);
    await fleet.start(() => undefined);
    db = new pg.Client({ connectionString: fleet.databaseUrl });
    await db.connect();
    await fleet.addAgent('pixel-7', {
      LATFLEET_AGENT_RUNNER: 'android-adb',
      LATFLEET_ADB_SERIAL: phone.serial,
      LATFLEET_ADB_CPU_MASK: 'c0',
      LATFLEET_ADB_PATH: phone.adb,
      LATFLEET_TFLITE_BENCHMARK: phone.tool('benchmark_model'),
      LATFLEET_TFLITE_VERSION: 'tflite 2.16.1 benchmark_model',
    });
    const created = await fleet.api.createStudy({
      name: 'phone-tflite',
      variants: [{ label: 'v3-small', model: 'mobilenetv3-small-0.75', resolution: 96, format: 'tflite' }],
      devices: { class: 'android' },
      protocol: PROTOCOL,
    });
    study = await waitForStudy(fleet.api, created.id, { quiet: true, intervalMs: 200, timeoutMs: 180_000 });
  });

  afterAll(async () => {
    await db?.end();
    await fleet?.stop();
    phone?.remove();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('leases the TFLite job to the phone agent, which announced tflite from its configured benchmark_model', async () => {
    const { rows } = await db.query(
      `SELECT d.device_class AS class, d.runner, d.formats, m.format, r.model_sha256 AS sha, r.timed_runs AS "timedRuns"
         FROM runs r JOIN devices d ON d.id = r.device_id JOIN models m ON m.sha256 = r.model_sha256 WHERE r.study_id = $1`,
      [study.id],
    );
    expect(study.status).toBe('completed');
    expect(rows).toEqual([{ class: 'android', runner: 'android-adb', formats: ['tflite'], format: 'tflite', sha: buildTflite(VARIANT).sha256, timedRuns: 3 }]);
  });

  it('pushes the builder’s .tflite bytes to the phone and runs them through benchmark_model’s argv, pinned and single-threaded', () => {
    const sha = buildTflite(VARIANT).sha256;
    const pushed = phone.list(`${REMOTE}/models`);
    expect(pushed).toEqual([`${sha}.tflite`]);
    expect(
      createHash('sha256')
        .update(readFileSync(phone.devicePath(`${REMOTE}/models/${sha}.tflite`)))
        .digest('hex'),
    ).toBe(sha);
    const common = [`--graph=${REMOTE}/models/${sha}.tflite`, '--num_threads=1', '--warmup_runs=2', '--warmup_min_secs=0', '--min_secs=0'];
    expect(phone.invocations('benchmark_model')).toEqual([
      [...common, '--num_runs=1'],
      [...common, '--num_runs=1'],
      [...common, '--num_runs=1'],
      [...common, '--num_runs=2', '--enable_op_profiling=true', '--report_peak_memory_footprint=true'],
    ]);
    expect(new Set(phone.tasksetMasks())).toEqual(new Set(['c0']));
  });

  it('serves the load times and peak memory benchmark_model printed with the run', async () => {
    const { rows } = await db.query(`SELECT id FROM runs WHERE study_id = $1`, [study.id]);
    const res = await fetch(new URL(`/api/v1/runs/${rows[0].id}`, fleet.api.baseUrl));
    const run = (await res.json()) as { resources: unknown };
    // the stand-in: Init 1907 µs in the first process, 2007 µs in the others; process n peaks at 13 + n MB
    expect(run.resources).toEqual({ loadFirstMs: 1.907, loadWarmMs: 2.007, peakResidentBytes: 16 * 1024 * 1024, peakResidentSource: 'process-lifetime' });
  });
});
