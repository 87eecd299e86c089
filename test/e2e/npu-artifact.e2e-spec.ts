import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFleet } from '../../services/cli/fleet.js';
import { waitForStudy } from '../../services/cli/study-progress.js';
import { buildVariant } from '../../services/lib/models/index.js';
import type { ArtifactRow, StudyDetail } from '../../services/query/contract.js';
import { refusal } from '../support/api-refusal.js';
import { localFleetConfig } from '../support/local-fleet-config.js';

const FIXTURES = join(import.meta.dirname, '../../services/agent/runners/fixtures');
const VARIANT = 'mobilenetv3-small-0.75@96';
const PROTOCOL = { warmupRuns: 6, timedRuns: 4, profiledRuns: 2, maxRetries: 0, replicates: 1, maxReplicates: 1 };
/** What the user's vendor converter would have written from the variant's ONNX (the stand-in tool only needs the file). */
const ARTIFACT = Buffer.from(`RKNN compiled from ${VARIANT} by the vendor's converter`);

/**
 * A vendor artifact linked to a variant, end to end: a user attaches an `.rknn` compiled from a
 * variant's ONNX, a study asks for the variant in `rknn`, control leases it to a board agent (the
 * command runner configured for rknn, with the stand-in rknn_benchmark and profiling tool that
 * print the real tools' formats), and the tool receives the artifact's bytes.
 */
describe('a vendor artifact attached to a variant, measured on a board agent, end to end', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latfleet-e2e-npu-'));
  const board = join(dataDir, 'board');
  const config = localFleetConfig(dataDir, { LATFLEET_AGENT_CORE: '0' });
  let fleet: LocalFleet;
  let db: pg.Client;
  let attached: ArtifactRow;
  let study: StudyDetail;

  beforeAll(async () => {
    mkdirSync(board);
    for (const tool of ['rknn_benchmark.cjs', 'rknn_perf.sh']) {
      const to = join(board, tool.replace(/\.(cjs|sh)$/, ''));
      copyFileSync(join(FIXTURES, 'stand-ins', tool), to);
      chmodSync(to, 0o755);
    }
    const options = {
      name: 'rk3588-01',
      runtimeVersion: 'librknnrt 2.3.0 / rknn_benchmark',
      format: 'rknn',
      deviceClass: 'npu',
      timed: { argv: [join(board, 'rknn_benchmark'), '{model}', '', '{runs}', '1'], output: 'rknn-benchmark', toolWarmupRuns: 5 },
      profile: { argv: [join(board, 'rknn_perf'), '{model}', '{runs}', join(FIXTURES, 'rknn', 'perf-detail-runtime.txt')], output: 'rknn-perf-detail' },
      cwd: board,
    };
    writeFileSync(join(dataDir, 'board.json'), JSON.stringify(options));
    fleet = new LocalFleet(config);
    await fleet.start(() => undefined);
    db = new pg.Client({ connectionString: fleet.databaseUrl });
    await db.connect();
    await fleet.addAgent('rk3588-01', { LATFLEET_AGENT_RUNNER: 'command', LATFLEET_COMMAND_RUNNER_CONFIG: join(dataDir, 'board.json') });
    attached = await fleet.api.attachArtifact(VARIANT, ARTIFACT, 'rknn');
    const created = await fleet.api.createStudy({
      name: 'npu',
      variants: [{ label: 'v3-small', model: 'mobilenetv3-small-0.75', resolution: 96, format: 'rknn' }],
      devices: { class: 'npu' },
      protocol: PROTOCOL,
    });
    study = await waitForStudy(fleet.api, created.id, { quiet: true, intervalMs: 200, timeoutMs: 180_000 });
  });

  afterAll(async () => {
    await db?.end();
    await fleet?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores the artifact as a model of its own, linked to the variant’s ONNX, with its layers, MAdds and params', async () => {
    const onnx = buildVariant(VARIANT);
    expect(attached).toMatchObject({
      sha256: createHash('sha256').update(ARTIFACT).digest('hex'),
      format: 'rknn',
      artifactOf: onnx.sha256,
      name: onnx.name,
      sizeBytes: ARTIFACT.length,
    });
    const { rows } = await db.query(`SELECT origin, format, madds::float8 AS madds, params::float8 AS params, jsonb_array_length(layers) AS layers FROM models WHERE sha256 = $1`, [
      attached.sha256,
    ]);
    expect(rows).toEqual([{ origin: 'artifact', format: 'rknn', madds: onnx.madds, params: onnx.params, layers: onnx.layers.length }]);
  });

  it('leases the rknn job to the board agent, whose tool receives the artifact’s bytes', async () => {
    const { rows } = await db.query(
      `SELECT r.model_sha256 AS sha, d.runner, d.device_class AS class, d.formats, r.timed_runs AS "timedRuns" FROM runs r JOIN devices d ON d.id = r.device_id WHERE r.study_id = $1`,
      [study.id],
    );
    expect(study.status).toBe('completed');
    // the command runner registers under its options' name
    expect(rows).toEqual([{ sha: attached.sha256, runner: 'rk3588-01', class: 'npu', formats: ['rknn'], timedRuns: PROTOCOL.timedRuns }]);
    const calls = readFileSync(join(board, 'rknn_benchmark.argv.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { argv: string[] });
    expect(calls.length).toBeGreaterThan(0);
    const models = new Set(calls.map((c) => c.argv[0]!));
    expect(models.size).toBe(1);
    expect(
      createHash('sha256')
        .update(readFileSync([...models][0]!))
        .digest('hex'),
    ).toBe(attached.sha256);
  });

  it('answers the same bytes again with the stored artifact, and refuses what it cannot store, storing nothing', async () => {
    const count = async () => Number((await db.query(`SELECT count(*) FROM models`)).rows[0].count);
    const before = await count();

    expect(await fleet.api.attachArtifact(VARIANT, ARTIFACT, 'rknn')).toEqual(attached);
    const other = await refusal(fleet.api.attachArtifact(VARIANT, Buffer.from('another build'), 'rknn'));
    const built = await refusal(fleet.api.attachArtifact(VARIANT, ARTIFACT, 'onnx'));
    const unknown = await refusal(fleet.api.attachArtifact('f'.repeat(64), Buffer.from('x'), 'rknn'));
    const noArtifact = await refusal(fleet.api.createStudy({ name: 'npu-2', variants: [{ model: 'mobilenetv2-0.35', format: 'rknn' }] }));

    expect([other.status, other.field]).toEqual([409, 'format']);
    expect([built.status, built.field]).toEqual([400, 'format']);
    expect(unknown.status).toBe(404);
    expect(noArtifact.status).toBe(400);
    expect(noArtifact.message).toMatch(/no rknn artifact is attached to mobilenetv2-0\.35 .*latfleet models attach mobilenetv2-0\.35 FILE --format rknn/);
    expect(await count()).toBe(before);
  });
});
