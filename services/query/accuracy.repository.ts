import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AccuracyListQuery } from './accuracy.dto.js';
import type { Page } from './pagination.dto.js';

export interface NewAccuracy {
  model: string | null;
  variantId: string | null;
  top1: number;
  top5: number | null;
  dataset: string;
  source: string;
}

export interface AccuracyRow extends NewAccuracy {
  id: string;
  /** preloaded from a paper (its title and table in `source`) */
  published: boolean;
  createdAt: string;
}

/** The accuracy that applies to a variant: its own entry, else its model's. */
export interface VariantAccuracy {
  top1: number;
  source: string;
  scope: 'variant' | 'model';
}

const COLUMNS = `id, model_name AS model, variant_id AS "variantId", top1, top5, dataset, source, published, created_at AS "createdAt"`;
const SELECT = `SELECT ${COLUMNS} FROM accuracies`;

@Injectable()
export class AccuracyRepository {
  constructor(private readonly ds: DataSource) {}

  async create(a: NewAccuracy): Promise<AccuracyRow> {
    const [row] = await this.ds.query(
      `INSERT INTO accuracies (model_name, variant_id, top1, top5, dataset, source) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING ${COLUMNS}`,
      [a.model, a.variantId, a.top1, a.top5, a.dataset, a.source],
    );
    return row;
  }

  async list(q: AccuracyListQuery): Promise<Page<AccuracyRow>> {
    const where = `WHERE ($1::text IS NULL OR model_name = $1) AND ($2::uuid IS NULL OR variant_id = $2)`;
    const params = [q.model ?? null, q.variantId ?? null];
    const items = await this.ds.query(`${SELECT} ${where} ORDER BY created_at DESC, id LIMIT $3 OFFSET $4`, [...params, q.limit, q.offset]);
    const [{ n }] = await this.ds.query(`SELECT count(*)::int AS n FROM accuracies ${where}`, params);
    return { items, limit: q.limit, offset: q.offset, total: n };
  }

  /** Latest entry per variant, an entry for the variant itself winning over one for its model, a user's over a published one. */
  async forVariants(variantIds: readonly string[]): Promise<Map<string, VariantAccuracy>> {
    const rows: Array<{ variantId: string; top1: number; source: string; own: boolean }> = await this.ds.query(
      `SELECT DISTINCT ON (v.id) v.id AS "variantId", a.top1, a.source, a.variant_id IS NOT NULL AS own
         FROM variants v
         JOIN models m ON m.sha256 = v.model_sha256
         JOIN accuracies a ON a.variant_id = v.id OR a.model_name = m.name
        WHERE v.id = ANY($1::uuid[])
        ORDER BY v.id, a.variant_id IS NOT NULL DESC, a.published, a.created_at DESC, a.id`,
      [variantIds],
    );
    return new Map(rows.map((r) => [r.variantId, { top1: r.top1, source: r.source, scope: r.own ? 'variant' : 'model' }]));
  }

  async variantExists(id: string): Promise<boolean> {
    const rows = await this.ds.query(`SELECT 1 FROM variants WHERE id = $1`, [id]);
    return rows.length > 0;
  }
}
