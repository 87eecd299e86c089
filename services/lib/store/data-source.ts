import pg from 'pg';
import { DataSource } from 'typeorm';
import { ENTITIES } from './entities/index.js';
import { MIGRATIONS } from './migrations/index.js';

export function createDataSource(url: string, opts: { poolSize?: number; applicationName?: string } = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    uuidExtension: 'pgcrypto',
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    poolSize: opts.poolSize ?? 10,
    applicationName: opts.applicationName ?? 'latfleet',
    logging: ['error'],
  });
}

const MIGRATION_LOCK = 4_187_221_003;

/**
 * Runs pending migrations; an advisory lock keeps replicas starting together from racing. The lock
 * is held on a connection of its own, outside the pool the migrations run on.
 */
export async function migrate(ds: DataSource): Promise<void> {
  const lock = new pg.Client({ connectionString: (ds.options as { url?: string }).url });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await lock.end();
  }
}
