import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/free-port.js';

const repo = resolve(import.meta.dirname, '../../..');

describe('embedded Postgres and the exit code', () => {
  it('leaves a failing exit code alone after the server was started and stopped', async () => {
    const script = `
      import { mkdtempSync } from 'node:fs';
      import { tmpdir } from 'node:os';
      import { join } from 'node:path';
      const { startEmbeddedPostgres } = await import(${JSON.stringify(`${repo}/dist/lib/store/embedded-postgres.js`)});
      const pg = await startEmbeddedPostgres({ dataDir: mkdtempSync(join(tmpdir(), 'latfleet-exit-')), port: ${await freePort()} });
      await pg.stop();
      process.exitCode = 3;`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 90_000 });
    expect({ status: child.status, stderr: child.status === 3 ? '' : child.stderr }).toEqual({ status: 3, stderr: '' });
  }, 120_000);
});
