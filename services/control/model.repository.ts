import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

@Injectable()
export class ModelRepository {
  constructor(private readonly ds: DataSource) {}

  async findBytes(sha256: string): Promise<Buffer | null> {
    const rows: Array<{ data: Buffer }> = await this.ds.query(`SELECT data FROM models WHERE sha256 = $1`, [sha256]);
    return rows[0]?.data ?? null;
  }

  /** Size of the stored bytes (octet_length reads the TOAST header, not the value). */
  async findSize(sha256: string): Promise<number | null> {
    const rows: Array<{ n: string }> = await this.ds.query(`SELECT octet_length(data)::bigint AS n FROM models WHERE sha256 = $1`, [sha256]);
    return rows[0] ? Number(rows[0].n) : null;
  }

  /** `length` bytes from `offset` (0-based); an uncompressed TOAST value is read only as far as needed. */
  async findSlice(sha256: string, offset: number, length: number): Promise<Buffer> {
    const rows: Array<{ data: Buffer }> = await this.ds.query(`SELECT substring(data FROM $2 FOR $3) AS data FROM models WHERE sha256 = $1`, [sha256, offset + 1, length]);
    return rows[0]?.data ?? Buffer.alloc(0);
  }
}
