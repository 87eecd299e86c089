import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ImportedModel, ImportedModelRef } from '../lib/models/index.js';
import { insertModel, type NewModel } from '../lib/store/model-rows.js';
import type { ModelListQuery } from './model.dto.js';
import type { Page } from './pagination.dto.js';

export interface ModelRow {
  sha256: string;
  name: string;
  family: string;
  resolution: number;
  madds: number;
  params: number;
  format: string;
  /** generated: built by latfleet; imported: a file a user uploaded; artifact: a vendor file attached to a model */
  origin: string;
  runs: number;
  createdAt: string;
}

/** An imported model as stored: its row and its layers (one per node or operator). */
export interface ImportedModelRow extends Omit<ImportedModel, 'family'> {
  family: string;
  origin: 'imported';
  sizeBytes: number;
  createdAt: string;
}

/** A vendor artifact attached to a stored model: what it was compiled from and its own bytes' hash. */
export interface ArtifactRow {
  sha256: string;
  format: string;
  /** the model it was compiled from */
  artifactOf: string;
  /** that model's name: the artifact's layers, MAdds and params are its */
  name: string;
  sizeBytes: number;
  createdAt: string;
}

/** A stored model an artifact may be attached to, with everything the artifact's row copies. */
export type ArtifactSource = Omit<NewModel, 'bytes' | 'artifactOf'>;

const ARTIFACT_COLUMNS = `sha256, format, artifact_of AS "artifactOf", name, size_bytes AS "sizeBytes", created_at AS "createdAt"`;
const toArtifactRow = (r: Record<string, unknown>): ArtifactRow => ({ ...r, sizeBytes: Number(r['sizeBytes']) }) as ArtifactRow;

const IMPORTED_COLUMNS = `sha256, name, family, format, origin, input_name AS "inputName", input_shape AS "inputShape", resolution,
  madds, params, size_bytes AS "sizeBytes", layers, created_at AS "createdAt"`;
const toImportedRow = (r: Record<string, unknown>): ImportedModelRow =>
  ({ ...r, madds: Number(r['madds']), params: Number(r['params']), sizeBytes: Number(r['sizeBytes']) }) as ImportedModelRow;

@Injectable()
export class ModelRepository {
  constructor(private readonly ds: DataSource) {}

  async list(q: ModelListQuery): Promise<Page<ModelRow>> {
    const where = `WHERE ($1::text IS NULL OR m.family = $1) AND ($2::boolean IS NULL OR (coalesce(r.n, 0) > 0) = $2)`;
    const from = `FROM models m LEFT JOIN (SELECT model_sha256, count(*)::int AS n FROM runs GROUP BY model_sha256) r ON r.model_sha256 = m.sha256`;
    const params = [q.family ?? null, q.measured === undefined ? null : q.measured === 'true'];
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      `SELECT m.sha256, m.name, m.family, m.resolution, m.madds, m.params, m.format, m.origin, coalesce(r.n, 0) AS runs, m.created_at AS "createdAt"
         ${from} ${where} ORDER BY m.name, m.created_at LIMIT $3 OFFSET $4`,
      [...params, q.limit, q.offset],
    );
    const [{ n }] = await this.ds.query(`SELECT count(*)::int AS n ${from} ${where}`, params);
    return { items: rows.map((r) => ({ ...r, madds: Number(r['madds']), params: Number(r['params']) }) as ModelRow), limit: q.limit, offset: q.offset, total: n };
  }

  /** Models by sha256 or by canonical name (a name can have several builds, oldest first). */
  async findByRef(ref: string): Promise<ModelRow[]> {
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      `SELECT sha256, name, family, resolution, madds, params, format, origin, 0 AS runs, created_at AS "createdAt"
         FROM models WHERE sha256 = $1 OR name = $1 ORDER BY created_at`,
      [ref],
    );
    return rows.map((r) => ({ ...r, madds: Number(r['madds']), params: Number(r['params']) }) as ModelRow);
  }

  /** Imported models that any of these strings names (by name or sha256). */
  async findImported(refs: string[]): Promise<ImportedModelRef[]> {
    if (refs.length === 0) return [];
    return this.ds.query(`SELECT sha256, name, format FROM models WHERE origin = 'imported' AND (name = ANY($1::text[]) OR sha256 = ANY($1::text[]))`, [refs]);
  }

  /** The model stored with these bytes, or the imported model with this name (either may answer an import). */
  async findImportClash(sha256: string, name: string): Promise<ImportedModelRow[]> {
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      `SELECT ${IMPORTED_COLUMNS} FROM models WHERE sha256 = $1 OR (origin = 'imported' AND name = $2) ORDER BY sha256 = $1 DESC`,
      [sha256, name],
    );
    return rows.map(toImportedRow);
  }

  /** A stored model by sha256, or an imported model by name; artifacts are not sources of artifacts. */
  async findArtifactSource(ref: string): Promise<ArtifactSource | null> {
    const [row] = await this.ds.query(
      `SELECT sha256, name, family, spec, resolution, input_name AS "inputName", input_shape AS "inputShape", madds, params, layers, format, origin
         FROM models WHERE origin <> 'artifact' AND (sha256 = $1 OR (origin = 'imported' AND name = $1))`,
      [ref],
    );
    return row ? { ...row, madds: Number(row.madds), params: Number(row.params) } : null;
  }

  /** Stores a generated model (an attachment's source built on request) unless it is stored. */
  async ensureStored(model: NewModel): Promise<void> {
    await insertModel(this.ds, model);
  }

  /** The artifacts of these models, in any format. */
  async findArtifacts(sourceShas: readonly string[]): Promise<ArtifactRow[]> {
    if (sourceShas.length === 0) return [];
    const rows: Array<Record<string, unknown>> = await this.ds.query(`SELECT ${ARTIFACT_COLUMNS} FROM models WHERE artifact_of = ANY($1::bpchar[])`, [sourceShas]);
    return rows.map(toArtifactRow);
  }

  /** The model stored with these bytes, if any (an artifact must be new bytes). */
  async findBySha(sha256: string): Promise<{ sha256: string; name: string; origin: string; artifactOf: string | null; format: string } | null> {
    const [row] = await this.ds.query(`SELECT sha256, name, origin, artifact_of AS "artifactOf", format FROM models WHERE sha256 = $1`, [sha256]);
    return row ?? null;
  }

  /** Stores an artifact; null when its bytes, or an artifact of its model in its format, were stored meanwhile. */
  async insertArtifact(model: NewModel): Promise<ArtifactRow | null> {
    try {
      if (!(await insertModel(this.ds, model))) return null;
    } catch (error) {
      if ((error as { driverError?: { code?: string } }).driverError?.code === '23505') return null;
      throw error;
    }
    const [row] = await this.ds.query(`SELECT ${ARTIFACT_COLUMNS} FROM models WHERE sha256 = $1`, [model.sha256]);
    return toArtifactRow(row);
  }

  /** Stores an imported model; null when its bytes or its name were stored meanwhile (nothing changed). */
  async insertImported(model: ImportedModel, bytes: Uint8Array, givenInputShape: number[] | null): Promise<ImportedModelRow | null> {
    try {
      const stored = await insertModel(this.ds, { ...model, spec: { imported: true, givenInputShape }, bytes, origin: 'imported' });
      if (!stored) return null;
    } catch (error) {
      // the imported-name index: another import took the name between the check and this insert
      if ((error as { driverError?: { code?: string } }).driverError?.code === '23505') return null;
      throw error;
    }
    const [row] = await this.ds.query(`SELECT ${IMPORTED_COLUMNS} FROM models WHERE sha256 = $1`, [model.sha256]);
    return toImportedRow(row);
  }
}
