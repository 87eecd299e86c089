import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { CONFIG, type LatfleetConfig } from '../lib/config/index.js';

/** Postgres's SQLSTATE for a statement cancelled by statement_timeout. */
export const QUERY_CANCELED = '57014';

/**
 * Bounds every statement the query service runs (LATFLEET_QUERY_STATEMENT_TIMEOUT_MS): a costly
 * request ends with an error instead of holding a connection and a core. Set on each pooled
 * connection the first time it is handed out, after the migrations (which must not be cut short):
 * a query issued on `acquire` runs before the one the connection was taken for.
 */
@Injectable()
export class StatementTimeout implements OnModuleInit {
  constructor(
    @Inject(CONFIG) private readonly config: LatfleetConfig,
    private readonly ds: DataSource,
  ) {}

  onModuleInit(): void {
    const ms = this.config.queryStatementTimeoutMs;
    if (ms === 0) return;
    const pool = (this.ds.driver as unknown as { master: Pool }).master;
    const bounded = new WeakSet<PoolClient>();
    pool.on('acquire', (client) => {
      if (bounded.has(client)) return;
      bounded.add(client);
      client.query(`SET statement_timeout = ${Math.trunc(ms)}`).catch(() => bounded.delete(client));
    });
  }
}
