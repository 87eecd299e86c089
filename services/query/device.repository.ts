import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

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
  state: 'online' | 'offline';
  lastSeenAt: string | null;
}

@Injectable()
export class DeviceRepository {
  constructor(private readonly ds: DataSource) {}

  /** A device is online while its agent's session is open and its heartbeats are recent. */
  list(staleAfterMs: number): Promise<DeviceRow[]> {
    return this.ds.query(
      `SELECT id, name, device_class AS "deviceClass", cpu_model AS "cpuModel", cores, os, runner,
              runtime_version AS "runtimeVersion", agent_version AS "agentVersion", tags,
              CASE WHEN state = 'online' AND last_seen_at > now() - make_interval(secs => $1) THEN 'online' ELSE 'offline' END AS state,
              last_seen_at AS "lastSeenAt"
         FROM devices ORDER BY name`,
      [staleAfterMs / 1000],
    );
  }
}
