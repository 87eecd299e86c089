import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ModelListQuery } from './model.dto.js';
import type { Page } from './pagination.dto.js';

export interface ModelRow {
  sha256: string;
  name: string;
  family: string;
  resolution: number;
  madds: number;
  params: number;
  runs: number;
  createdAt: string;
}

@Injectable()
export class ModelRepository {
  constructor(private readonly ds: DataSource) {}

  async list(q: ModelListQuery): Promise<Page<ModelRow>> {
    const where = `WHERE ($1::text IS NULL OR m.family = $1) AND ($2::boolean IS NULL OR (coalesce(r.n, 0) > 0) = $2)`;
    const from = `FROM models m LEFT JOIN (SELECT model_sha256, count(*)::int AS n FROM runs GROUP BY model_sha256) r ON r.model_sha256 = m.sha256`;
    const params = [q.family ?? null, q.measured === undefined ? null : q.measured === 'true'];
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      `SELECT m.sha256, m.name, m.family, m.resolution, m.madds, m.params, coalesce(r.n, 0) AS runs, m.created_at AS "createdAt"
         ${from} ${where} ORDER BY m.name, m.created_at LIMIT $3 OFFSET $4`,
      [...params, q.limit, q.offset],
    );
    const [{ n }] = await this.ds.query(`SELECT count(*)::int AS n ${from} ${where}`, params);
    return { items: rows.map((r) => ({ ...r, madds: Number(r['madds']), params: Number(r['params']) }) as ModelRow), limit: q.limit, offset: q.offset, total: n };
  }

  /** Models by sha256 or by canonical name (a name can have several builds, oldest first). */
  async findByRef(ref: string): Promise<ModelRow[]> {
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      `SELECT sha256, name, family, resolution, madds, params, 0 AS runs, created_at AS "createdAt"
         FROM models WHERE sha256 = $1 OR name = $1 ORDER BY created_at`,
      [ref],
    );
    return rows.map((r) => ({ ...r, madds: Number(r['madds']), params: Number(r['params']) }) as ModelRow);
  }
}
