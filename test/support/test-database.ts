import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/** A fresh, migrated database cloned from the run's template; dropped by the returned function. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const template = inject('pgTemplateUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const adminUrl = template.replace(/\/[^/]+$/, '/postgres');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE latfleet_template`);
  await admin.end();
  return {
    url: template.replace(/\/[^/]+$/, `/${name}`),
    drop: async () => {
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      // Clients of the services under test may still be closing (a pool ends a checked-out client only when
      // it is released): give them a moment, so that FORCE does not terminate a connection nobody listens
      // to for errors any more, which would surface as an uncaught exception in whichever test runs next.
      for (let waited = 0; waited < 5_000; waited += 50) {
        const { rows } = await a.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1`, [name]);
        if (rows[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}
