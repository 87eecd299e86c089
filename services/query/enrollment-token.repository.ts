import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { updateReturning } from '../lib/store/index.js';

export interface EnrollmentTokenRow {
  id: string;
  name: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

const COLUMNS = `id, name, created_at AS "createdAt", expires_at AS "expiresAt", revoked_at AS "revokedAt"`;

@Injectable()
export class EnrollmentTokenRepository {
  constructor(private readonly ds: DataSource) {}

  async create(name: string, tokenHash: string, ttlHours: number | null): Promise<EnrollmentTokenRow> {
    const [row] = await this.ds.query(
      `INSERT INTO enrollment_tokens (name, token_hash, expires_at)
       VALUES ($1, $2, CASE WHEN $3::float8 IS NULL THEN NULL ELSE now() + $3::float8 * interval '1 hour' END) RETURNING ${COLUMNS}`,
      [name, tokenHash, ttlHours],
    );
    return row;
  }

  list(): Promise<EnrollmentTokenRow[]> {
    return this.ds.query(`SELECT ${COLUMNS} FROM enrollment_tokens ORDER BY created_at DESC`);
  }

  async revoke(id: string): Promise<EnrollmentTokenRow | null> {
    const rows = await updateReturning<EnrollmentTokenRow>(
      this.ds.manager,
      `UPDATE enrollment_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
      [id],
    );
    return rows[0] ?? null;
  }
}
