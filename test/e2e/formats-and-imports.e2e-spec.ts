import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFleet } from '../../services/cli/fleet.js';
import { waitForStudy } from '../../services/cli/study-progress.js';
import { buildTflite } from '../../services/lib/models/index.js';
import type { RunDetail } from '../../services/query/run.service.js';
import type { StudyDetail } from '../../services/query/study.repository.js';
import { FOREIGN_ONNX_LAYERS, foreignOnnx } from '../support/foreign-onnx.js';
import { refusal } from '../support/api-refusal.js';
import { localFleetConfig } from '../support/local-fleet-config.js';

// No retries: a shared machine flags runs busy; one round per variant keeps the counts exact.
const PROTOCOL = { warmupRuns: 2, timedRuns: 10, profiledRuns: 3, maxRetries: 0, replicates: 1, maxReplicates: 1 };
const TFLITE_VARIANT = 'mobilenetv3-small-0.75@96';
const STUDY = {
  name: 'byom-and-formats',
  variants: [
    { label: 'tiny-torch', model: 'tiny-torch' },
    { label: 'v3-small-tflite', model: 'mobilenetv3-small-0.75', resolution: 96, format: 'tflite' },
  ],
  protocol: PROTOCOL,
};
const run = promisify(execFile);

describe('formats as a scheduling fact, and a model the user brings, end to end', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latfleet-e2e-formats-'));
  // the machine's other core runs benchmarks
  const config = localFleetConfig(dataDir, { LATFLEET_AGENT_CORE: '0' });
  let fleet: LocalFleet;
  let db: pg.Client;
  let imported: { sha256: string; name: string; madds: number; layers: Array<{ name: string }> };
  let waitingBeforeLitert: StudyDetail['waiting'];
  let study: StudyDetail;

  const apiError = refusal;
  const storedModels = async () => (await db.query(`SELECT sha256 FROM models ORDER BY sha256`)).rows.map((r) => r.sha256);

  beforeAll(async () => {
    fleet = new LocalFleet(config);
    await fleet.start(() => undefined);
    db = new pg.Client({ connectionString: fleet.databaseUrl });
    await db.connect();
    // imported through the CLI, as a user would
    const file = join(dataDir, 'tiny-torch.onnx');
    writeFileSync(file, foreignOnnx());
    const cli = await run(process.execPath, ['dist/cli/main.js', 'models', 'import', file, '--json', '--url', fleet.api.baseUrl], {
      env: { ...process.env, LATFLEET_DATA_DIR: dataDir },
    });
    imported = JSON.parse(cli.stdout);
    const created = await fleet.api.createStudy(STUDY);
    // only the ort-node agent is up: the TFLite job has no agent that runs it
    waitingBeforeLitert = (await fleet.api.study(created.id)).waiting;
    await fleet.addAgent('e2e-litert', { LATFLEET_AGENT_RUNNER: 'litert' });
    study = await waitForStudy(fleet.api, created.id, { quiet: true, intervalMs: 200, timeoutMs: 180_000 });
  });

  afterAll(async () => {
    await db?.end();
    await fleet?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('imports an ONNX file latfleet did not build, with a layer per node and the MAdds the graph gives', () => {
    expect(imported.name).toBe('tiny-torch');
    expect(imported.layers.map((l) => l.name)).toEqual(FOREIGN_ONNX_LAYERS.map(([name]) => name));
    expect(imported.madds).toBe(FOREIGN_ONNX_LAYERS.reduce((n, [, , , madds]) => n + madds, 0));
  });

  it('refuses a corrupt file and a dynamic-shape file with 400s naming the problem, storing nothing', async () => {
    const before = await storedModels();

    const corrupt = await apiError(fleet.api.importModel(foreignOnnx().subarray(0, 300), 'corrupt'));
    const dynamic = await apiError(fleet.api.importModel(foreignOnnx({ batch: 'batch' }), 'dynamic'));

    expect([corrupt.status, corrupt.field]).toEqual([400, 'file']);
    expect(corrupt.message).toMatch(/^file: not a valid ONNX model/);
    expect([dynamic.status, dynamic.field]).toEqual([400, 'inputShape']);
    expect(dynamic.message).toBe("inputShape: input 'pixel_values' has a dynamic shape [batch, 3, 32, 32]; give a static one (inputShape, e.g. 1,3,32,32)");
    expect(await storedModels()).toEqual(before);
  });

  it('keeps a job no online agent can run queued and says why, until an agent that runs its format comes', () => {
    expect(waitingBeforeLitert).toEqual([{ format: 'tflite', queuedJobs: 1, reason: 'no online agent runs tflite' }]);
    expect(study.status).toBe('completed');
    expect(study.waiting).toEqual([]);
  });

  it('gives each job to the agent that runs its format, which fetched the model in that format', async () => {
    const { rows } = await db.query(
      `SELECT v.label, m.format, m.origin, r.model_sha256 AS sha, d.runner, d.formats, r.report->>'modelSource' AS source
         FROM runs r JOIN variants v ON v.id = r.variant_id JOIN models m ON m.sha256 = v.model_sha256 JOIN devices d ON d.id = r.device_id
        WHERE r.study_id = $1 ORDER BY v.position`,
      [study.id],
    );
    expect(rows).toEqual([
      { label: 'tiny-torch', format: 'onnx', origin: 'imported', sha: imported.sha256, runner: 'ort-node', formats: ['onnx'], source: null },
      { label: 'v3-small-tflite', format: 'tflite', origin: 'generated', sha: buildTflite(TFLITE_VARIANT).sha256, runner: 'litert', formats: ['tflite'], source: 'tflite' },
    ]);
  });

  it('measures the imported model like any variant and shows its per-layer rows under its node names', async () => {
    const [runRow] = (await db.query(`SELECT r.id FROM runs r JOIN variants v ON v.id = r.variant_id WHERE r.study_id = $1 AND v.label = 'tiny-torch'`, [study.id])).rows;

    const layers = await fleet.api.runLayers(runRow.id);

    const names = layers.layers.map((l) => l.layer);
    expect(names).toEqual(expect.arrayContaining(['/features/features.0/Conv', '/features/features.3/Conv', '/classifier/Gemm']));
    expect(names.every((n) => n === '(unattributed)' || FOREIGN_ONNX_LAYERS.some(([name]) => name === n))).toBe(true);
    // the fused Conv+BN+Relu and depthwise Conv+Clip kernels are the convolutions' (where their MAdds are)
    for (const conv of ['/features/features.0/Conv', '/features/features.3/Conv']) expect(layers.layers.find((l) => l.layer === conv)!.medianMs).toBeGreaterThan(0);
  });

  it('records per run what loading the model took and the runner process’s peak memory, on both runtimes', async () => {
    const { rows } = await db.query(`SELECT r.id FROM runs r JOIN variants v ON v.id = r.variant_id WHERE r.study_id = $1 ORDER BY v.position`, [study.id]);

    const runs = await Promise.all(rows.map(async (r) => (await (await fetch(`${fleet.api.baseUrl}/api/v1/runs/${r.id}`)).json()) as RunDetail));

    for (const run of runs) {
      expect(run.resources).toMatchObject({ peakResidentSource: 'vmhwm' });
      expect([run.resources!.loadFirstMs > 0, run.resources!.loadWarmMs > 0, run.resources!.peakResidentBytes > 0]).toEqual([true, true, true]);
    }
  });
});
