import type pg from 'pg';
import { buildVariant, type BuiltVariant } from '../../services/lib/models/index.js';
import { JOBS_CHANNEL, type JobProtocol } from '../../services/lib/store/index.js';
import { insertModelRow } from './fleet-rows.factory.js';

/** A small real model: MobileNetV3-Small 0.75 at 96×96 (≈8 MB, about 0.8 ms per inference here). */
export const SMALL_MODEL = 'mobilenetv3-small-0.75@96';

const built = new Map<string, BuiltVariant>();
export function model(name = SMALL_MODEL): BuiltVariant {
  let m = built.get(name);
  if (!m) built.set(name, (m = buildVariant(name)));
  return m;
}

/** Stores a model row as the query service does (services/query/study.repository.ts). */
export async function insertModel(db: pg.Pool, m: BuiltVariant): Promise<void> {
  const { sha256, name, family, spec, resolution, inputName, inputShape, madds, params, layers } = m;
  await insertModelRow(db, { sha256, name, family, spec, resolution, inputName, inputShape, madds, params, layers, data: m.onnx });
}

export interface SeededStudy {
  studyId: string;
  /** In queue order. */
  jobIds: string[];
  protocol: JobProtocol;
  /** Date.now() right after COMMIT: the jobs are visible and the NOTIFY is delivered from here on. */
  committedAt: number;
}

/**
 * What creating a study does (services/query/study.repository.ts) in one transaction: the study,
 * one variant and one job per label (all on one already stored model; each job a round of its own,
 * so that every agent takes one job at a time), then the NOTIFY that wakes the control plane.
 * Set-based, so thousands of jobs take milliseconds.
 */
export async function seedStudy(db: pg.Pool, opts: { name: string; jobs: number; protocol: JobProtocol; model: BuiltVariant }): Promise<SeededStudy> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const {
      rows: [study],
    } = await client.query<{ id: string }>(`INSERT INTO studies (name, spec, baseline_label) VALUES ($1, $2, 'v0') RETURNING id`, [
      opts.name,
      JSON.stringify({ name: opts.name, base: opts.model.name, seeded: true }),
    ]);
    await client.query(
      `INSERT INTO variants (study_id, label, model_sha256, is_baseline, position)
       SELECT $1, 'v' || g, $2, g = 0, g FROM generate_series(0, $3 - 1) g`,
      [study!.id, opts.model.sha256, opts.jobs],
    );
    const { rows: jobs } = await client.query<{ id: string }>(
      `INSERT INTO jobs (study_id, variant_id, protocol, round, created_at)
       SELECT $1, v.id, $2, v.position, clock_timestamp() FROM variants v WHERE v.study_id = $1 ORDER BY v.position RETURNING id`,
      [study!.id, JSON.stringify(opts.protocol)],
    );
    await client.query(`SELECT pg_notify($1, $2)`, [JOBS_CHANNEL, study!.id]);
    await client.query('COMMIT');
    return { studyId: study!.id, jobIds: jobs.map((j) => j.id), protocol: opts.protocol, committedAt: Date.now() };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
