import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { REVOKED, updateReturning } from '../lib/store/index.js';

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

  /** Revokes the token and every device that enrolled with it (their agents are refused from their next call or heartbeat). */
  async revoke(id: string): Promise<(EnrollmentTokenRow & { revokedDevices: number }) | null> {
    return this.ds.transaction(async (m) => {
      const rows = await updateReturning<EnrollmentTokenRow>(m, `UPDATE enrollment_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`, [id]);
      if (!rows[0]) return null;
      const devices = await updateReturning<{ id: string }>(
        m,
        `UPDATE devices SET credential_hash = $2, state = 'offline' WHERE enrollment_token_id = $1 AND credential_hash <> $2 RETURNING id`,
        [id, REVOKED],
      );
      return { ...rows[0], revokedDevices: devices.length };
    });
  }
}
