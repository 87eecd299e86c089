import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../../..');
const checked = join(repo, 'services/lib/proto/gen/latfleet/v1');

describe('generated proto types', () => {
  const out = mkdtempSync(join(tmpdir(), 'latfleet-proto-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('are exactly what buf generates from proto/ today (run `npm run gen:proto` after changing a .proto)', () => {
    execFileSync(join(repo, 'node_modules/.bin/buf'), ['generate', '-o', out], { cwd: repo });
    const fresh = join(out, 'services/lib/proto/gen');
    execFileSync(process.execPath, [join(repo, 'scripts/fix-generated.mjs'), fresh]);
    const files = readdirSync(checked).sort();
    expect(readdirSync(join(fresh, 'latfleet/v1')).sort()).toEqual(files);
    for (const f of files) expect(readFileSync(join(fresh, 'latfleet/v1', f), 'utf8'), f).toBe(readFileSync(join(checked, f), 'utf8'));
  });
});
