import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createDataSource, migrate, startEmbeddedPostgres } from '../../services/lib/store/index.js';

export const TEMPLATE_DB = 'latfleet_template';

/**
 * One real Postgres for the whole test run, with a migrated template database that every
 * integration spec clones (CREATE DATABASE … TEMPLATE) into a fresh database of its own.
 */
export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(join(tmpdir(), 'latfleet-test-pg-'));
  const port = 56000 + Math.floor(Math.random() * 2000);
  const server = await startEmbeddedPostgres({ dataDir, port, database: TEMPLATE_DB });
  const ds = createDataSource(server.url, { poolSize: 1 });
  await ds.initialize();
  await migrate(ds);
  await ds.destroy();
  // A template must have no open connections when it is cloned.
  const admin = new pg.Client({ connectionString: server.url.replace(`/${TEMPLATE_DB}`, '/postgres') });
  await admin.connect();
  await admin.query(`ALTER DATABASE ${TEMPLATE_DB} WITH IS_TEMPLATE true`);
  await admin.end();
  project.provide('pgTemplateUrl', server.url);
  return async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgTemplateUrl: string;
  }
}
