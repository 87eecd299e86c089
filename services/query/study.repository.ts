import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { resolveProtocol } from '../lib/measure/index.js';
import { insertModel, type NewModel } from '../lib/store/model-rows.js';
import {
  cancelStudy,
  insertRound,
  jobRunnableOn,
  selectorMatchSql,
  JOBS_CHANNEL,
  type JobCancellation,
  type DeviceSelector,
  type JobProtocol,
  type RoundLog,
  type StudyStatus,
} from '../lib/store/index.js';
import type { Page } from './pagination.dto.js';
import type { StudyListQuery } from './study.dto.js';

export interface NewStudy {
  name: string;
  spec: unknown;
  baselineLabel: string;
  protocol: JobProtocol;
  priority: number;
  /** Rounds queued at once (protocol.replicates): a job per variant in each. */
  replicates: number;
  /** Jobs of any matching device: one per variant and round; or per variant, round and each of `targets`. */
  selector: DeviceSelector;
  targets: string[] | null;
  /** each variant's model: built now (stored unless it is already), or imported before (its sha256) */
  variants: Array<{ label: string; model: NewModel | { sha256: string } }>;
}

/** Queued jobs of a study that no online device can run now, by format, and why. */
export interface WaitingJobs {
  format: string;
  queuedJobs: number;
  /** e.g. "no online agent runs tflite" */
  reason: string;
}

export interface StudyHeader {
  id: string;
  name: string;
  status: StudyStatus;
  baselineLabel: string;
  /** the protocol's floor of the between-study component (percent) */
  betweenStudyPct: number;
  /** the protocol's part of it that grows with the difference (percent of the |log ratio|) */
  betweenStudyRelativePct: number;
}

export interface StudySummary {
  id: string;
  name: string;
  status: StudyStatus;
  baselineLabel: string;
  createdAt: string;
  finishedAt: string | null;
  jobs: Record<'queued' | 'leased' | 'completed' | 'failed' | 'cancelled', number>;
  /** 0..1 over all jobs, counting the running ones by their reported progress. */
  progress: number;
}

export interface StudyDetail extends StudySummary {
  spec: unknown;
  variants: Array<{
    id: string;
    label: string;
    isBaseline: boolean;
    model: { sha256: string; name: string; family: string; resolution: number; madds: number; params: number; format: string; origin: 'generated' | 'imported' };
  }>;
  jobList: Array<{
    id: string;
    variantLabel: string;
    /** the round (replicate) and the job's place in the round's random order */
    round: number;
    roundPosition: number;
    state: string;
    attempt: number;
    phase: string | null;
    progress: number;
    /** the agent's last status line, e.g. "retry 2/3: busy-system" */
    statusMessage: string | null;
    deviceId: string | null;
    error: string | null;
  }>;
  /** per device group ('*': any device): rounds queued and, once no more will be, what ended them */
  rounds: Record<string, RoundLog>;
  /** queued jobs that wait because no online agent can run them (empty when every queued job has one) */
  waiting: WaitingJobs[];
}

const SUMMARY_SELECT = `
  SELECT s.id, s.name, s.status, s.baseline_label AS "baselineLabel", s.created_at AS "createdAt", s.finished_at AS "finishedAt",
         json_build_object(
           'queued', count(j.id) FILTER (WHERE j.state = 'queued'),
           'leased', count(j.id) FILTER (WHERE j.state = 'leased'),
           'completed', count(j.id) FILTER (WHERE j.state = 'completed'),
           'failed', count(j.id) FILTER (WHERE j.state = 'failed'),
           'cancelled', count(j.id) FILTER (WHERE j.state = 'cancelled')) AS jobs,
         coalesce(avg(CASE WHEN j.state IN ('completed', 'failed', 'cancelled') THEN 1 WHEN j.state = 'leased' THEN j.progress * 0.95 ELSE 0 END), 0) AS progress
    FROM studies s LEFT JOIN jobs j ON j.study_id = s.id`;

/**
 * A study's queued jobs that no online device may lease (format, target, selector: control's lease
 * rule), by format, with the reason a user can act on. `$1`: the study.
 */
const WAITING_JOBS = `
  SELECT j.format, count(*)::int AS "queuedJobs",
         CASE WHEN NOT EXISTS (SELECT 1 FROM devices d WHERE d.state = 'online' AND j.format = ANY(d.formats))
              THEN 'no online agent runs ' || j.format
              ELSE 'no online agent that runs ' || j.format || ' matches the study''s device selection' END AS reason
    FROM jobs j
   WHERE j.study_id = $1 AND j.state = 'queued'
     AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.state = 'online' AND ${jobRunnableOn('j', 'd')})
   GROUP BY j.format, reason ORDER BY j.format, reason`;

@Injectable()
export class StudyRepository {
  constructor(private readonly ds: DataSource) {}

  /** Models, study, variants and jobs in one transaction, then a NOTIFY that wakes the control plane. */
  async create(study: NewStudy): Promise<string> {
    return this.ds.transaction(async (m) => {
      for (const { model } of study.variants) if ('bytes' in model) await insertModel(m, model);
      const [s]: Array<{ id: string }> = await m.query(`INSERT INTO studies (name, spec, baseline_label, priority) VALUES ($1, $2, $3, $4) RETURNING id`, [
        study.name,
        JSON.stringify(study.spec),
        study.baselineLabel,
        study.priority,
      ]);
      const variantIds: string[] = [];
      for (const [position, v] of study.variants.entries()) {
        const [variant]: Array<{ id: string }> = await m.query(`INSERT INTO variants (study_id, label, model_sha256, is_baseline, position) VALUES ($1,$2,$3,$4,$5) RETURNING id`, [
          s!.id,
          v.label,
          v.model.sha256,
          v.label === study.baselineLabel,
          position,
        ]);
        variantIds.push(variant!.id);
      }
      // The first `replicates` rounds on each target; more are added as rounds complete (control's RoundPlanner).
      for (let round = 0; round < study.replicates; round++) {
        for (const target of study.targets ?? [null]) {
          await insertRound(m, { studyId: s!.id, round, variantIds, protocol: study.protocol, priority: study.priority, selector: study.selector, target });
        }
      }
      await m.query(`SELECT pg_notify($1, $2)`, [JOBS_CHANNEL, s!.id]);
      return s!.id;
    });
  }

  /** Devices a selection names or matches now (for studies that run on each of them), with the formats they run. */
  async matchingDevices(selector: DeviceSelector, ids: string[] | undefined): Promise<Array<{ id: string; formats: string[] }>> {
    return this.ds.query(
      `SELECT d.id, d.formats FROM devices d
        WHERE ($1::uuid[] IS NULL OR d.id = ANY($1::uuid[]))
          AND ${selectorMatchSql('$2::jsonb', 'd')}
        ORDER BY d.name`,
      [ids ?? null, JSON.stringify(selector)],
    );
  }

  async list(q: StudyListQuery): Promise<Page<StudySummary>> {
    const where = `WHERE ($1::text IS NULL OR s.status = $1) AND ($2::text IS NULL OR s.name = $2)`;
    const filters = [q.status ?? null, q.name ?? null];
    const rows = await this.ds.query(`${SUMMARY_SELECT} ${where} GROUP BY s.id ORDER BY s.created_at DESC, s.id LIMIT $3 OFFSET $4`, [...filters, q.limit, q.offset]);
    const [{ n }] = await this.ds.query(`SELECT count(*)::int AS n FROM studies s ${where}`, filters);
    return { items: rows.map(toSummary), limit: q.limit, offset: q.offset, total: n };
  }

  /** Ends the study's queued and leased jobs and tells the control processes; null for an unknown study. */
  cancel(id: string): Promise<JobCancellation[] | null> {
    return cancelStudy(this.ds, id);
  }

  /** Name, status and baseline only: what an analysis needs to label its answer. */
  async header(id: string): Promise<StudyHeader | null> {
    const [row] = await this.ds.query(`SELECT id, name, status, baseline_label AS "baselineLabel", spec->'protocol' AS protocol FROM studies WHERE id = $1`, [id]);
    if (!row) return null;
    const { protocol, ...header } = row;
    const { betweenStudyPct, betweenStudyRelativePct } = resolveProtocol(protocol ?? {});
    return { ...header, betweenStudyPct, betweenStudyRelativePct };
  }

  async find(id: string): Promise<StudyDetail | null> {
    const [row] = await this.ds.query(`${SUMMARY_SELECT} WHERE s.id = $1 GROUP BY s.id`, [id]);
    if (!row) return null;
    const [{ spec, rounds }] = await this.ds.query(`SELECT spec, rounds FROM studies WHERE id = $1`, [id]);
    const variants = await this.ds.query(
      `SELECT v.id, v.label, v.is_baseline AS "isBaseline",
              json_build_object('sha256', m.sha256, 'name', m.name, 'family', m.family, 'resolution', m.resolution,
                                'madds', m.madds, 'params', m.params, 'format', m.format, 'origin', m.origin) AS model
         FROM variants v JOIN models m ON m.sha256 = v.model_sha256 WHERE v.study_id = $1 ORDER BY v.position`,
      [id],
    );
    const jobList = await this.ds.query(
      `SELECT j.id, v.label AS "variantLabel", j.round, j.round_position AS "roundPosition", j.state, j.attempt, j.phase, j.progress,
              j.status_message AS "statusMessage", j.device_id AS "deviceId", j.error
         FROM jobs j JOIN variants v ON v.id = j.variant_id WHERE j.study_id = $1 ORDER BY j.round, j.target_device_id, j.round_position, j.created_at`,
      [id],
    );
    const waiting: WaitingJobs[] = await this.ds.query(WAITING_JOBS, [id]);
    return {
      ...toSummary(row),
      spec,
      variants: variants.map((v: StudyDetail['variants'][number]) => ({ ...v, model: { ...v.model, madds: Number(v.model.madds), params: Number(v.model.params) } })),
      jobList,
      rounds,
      waiting,
    };
  }
}

function toSummary(row: StudySummary): StudySummary {
  return { ...row, progress: Number(row.progress) };
}
