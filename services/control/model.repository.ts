import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { LayerInfo } from '../lib/models/index.js';

@Injectable()
export class ModelRepository {
  private readonly layerCache = new Map<string, string[]>();

  constructor(private readonly ds: DataSource) {}

  async findBytes(sha256: string): Promise<Buffer | null> {
    const rows: Array<{ data: Buffer }> = await this.ds.query(`SELECT data FROM models WHERE sha256 = $1`, [sha256]);
    return rows[0]?.data ?? null;
  }

  /** Logical layer names of a model, for attributing runtime nodes. Immutable per hash, so cached. */
  async layerNames(sha256: string): Promise<string[]> {
    const hit = this.layerCache.get(sha256);
    if (hit) return hit;
    const rows: Array<{ layers: LayerInfo[] }> = await this.ds.query(`SELECT layers FROM models WHERE sha256 = $1`, [sha256]);
    const names = (rows[0]?.layers ?? []).map((l) => l.name);
    this.layerCache.set(sha256, names);
    return names;
  }
}
