import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../../..');

describe('embedded Postgres and the exit code', () => {
  it('leaves a failing exit code alone after the server was started and stopped', () => {
    const script = `
      import { mkdtempSync } from 'node:fs';
      import { tmpdir } from 'node:os';
      import { join } from 'node:path';
      const { startEmbeddedPostgres } = await import(${JSON.stringify(`${repo}/dist/lib/store/embedded-postgres.js`)});
      const pg = await startEmbeddedPostgres({ dataDir: mkdtempSync(join(tmpdir(), 'latfleet-exit-')), port: 56000 + Math.floor(Math.random() * 3000) });
      await pg.stop();
      process.exitCode = 3;`;
    let status = 0;
    try {
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore', timeout: 60_000 });
    } catch (err) {
      status = (err as { status: number }).status;
    }
    expect(status).toBe(3);
  });
});
