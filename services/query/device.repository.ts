import { Injectable } from '@nestjs/common';
import type { Reproducibility } from '../lib/measure/index.js';
import { deviceReproducibility, REVOKED, updateReturning } from '../lib/store/index.js';
import { DataSource } from 'typeorm';
import { LatfleetError, UUID_PATTERN } from '../lib/errors/index.js';
import type { DeviceListQuery } from './device.dto.js';
import type { Page } from './pagination.dto.js';

export interface DeviceRow {
  id: string;
  name: string;
  deviceClass: string;
  cpuModel: string;
  cores: number;
  os: string;
  runner: string;
  runtimeVersion: string;
  agentVersion: string;
  tags: Record<string, string>;
  /** model formats its runner runs: it is leased only jobs of these */
  formats: string[];
  state: 'online' | 'offline';
  lastSeenAt: string | null;
}

export interface DeviceRef {
  id: string;
  name: string;
  deviceClass: string;
}

const STATE = `CASE WHEN state = 'online' AND last_seen_at > now() - make_interval(secs => $1) THEN 'online' ELSE 'offline' END`;

@Injectable()
export class DeviceRepository {
  constructor(private readonly ds: DataSource) {}

  /** Per device: the between-study component its comparisons carry (the floor, or learned from its repeated comparisons). */
  reproducibility(deviceIds: readonly string[], floorPct: number, relativePct: number): Promise<Map<string, Reproducibility>> {
    return deviceReproducibility(this.ds, deviceIds, floorPct, relativePct);
  }

  /** A device is online while its agent's session is open and its heartbeats are recent. */
  async list(staleAfterMs: number, q: DeviceListQuery): Promise<Page<DeviceRow>> {
    const rows: Array<DeviceRow & { total: string }> = await this.ds.query(
      `SELECT * FROM (
         SELECT id, name, device_class AS "deviceClass", cpu_model AS "cpuModel", cores, os, runner,
                runtime_version AS "runtimeVersion", agent_version AS "agentVersion", tags, formats,
                ${STATE} AS state, last_seen_at AS "lastSeenAt", count(*) OVER () AS total
           FROM devices WHERE ($2::text IS NULL OR device_class = $2) AND ($3::text IS NULL OR ${STATE} = $3)
       ) d ORDER BY name LIMIT $4 OFFSET $5`,
      [staleAfterMs / 1000, q.class ?? null, q.state ?? null, q.limit, q.offset],
    );
    const total = rows[0] ? Number(rows[0].total) : await this.count(staleAfterMs, q);
    return { items: rows.map(({ total: _t, ...d }) => d), limit: q.limit, offset: q.offset, total };
  }

  private async count(staleAfterMs: number, q: DeviceListQuery): Promise<number> {
    const [r] = await this.ds.query(`SELECT count(*)::int AS n FROM devices WHERE ($2::text IS NULL OR device_class = $2) AND ($3::text IS NULL OR ${STATE} = $3)`, [
      staleAfterMs / 1000,
      q.class ?? null,
      q.state ?? null,
    ]);
    return r.n;
  }

  async find(id: string): Promise<DeviceRef | null> {
    const [row] = await this.ds.query(`SELECT id, name, device_class AS "deviceClass" FROM devices WHERE id = $1`, [id]);
    return row ?? null;
  }

  /** Devices by name or id, in the order given; an unknown one is a validation error of `field`. */
  async resolve(refs: readonly string[], field = 'device'): Promise<DeviceRef[]> {
    const ids = refs.filter((r) => UUID_PATTERN.test(r)).map((r) => r.toLowerCase());
    const rows: DeviceRef[] = await this.ds.query(`SELECT id, name, device_class AS "deviceClass" FROM devices WHERE name = ANY($1::text[]) OR id = ANY($2::uuid[])`, [refs, ids]);
    return refs.map((ref) => {
      const hit = rows.find((d) => d.name === ref || d.id === ref.toLowerCase());
      if (!hit) throw LatfleetError.validation(field, `no device named or with id ${JSON.stringify(ref)}`);
      return hit;
    });
  }

  /**
   * Revokes a device's credential (its agent is refused from its next call or heartbeat; the name
   * may be registered again, keeping the device's id and results). Null for an unknown id.
   */
  async revoke(id: string): Promise<(DeviceRef & { revokedNow: boolean }) | null> {
    const [row] = await updateReturning<DeviceRef & { revokedNow: boolean }>(
      this.ds.manager,
      `UPDATE devices d SET credential_hash = $2, state = 'offline' FROM (SELECT id, credential_hash <> $2 AS enrolled FROM devices WHERE id = $1 FOR UPDATE) old
        WHERE d.id = old.id RETURNING d.id, d.name, d.device_class AS "deviceClass", old.enrolled AS "revokedNow"`,
      [id, REVOKED],
    );
    return row ?? null;
  }
}
