import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localSecret, rotateSecret } from './fleet.js';

const dir = mkdtempSync(join(tmpdir(), 'latfleet-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(rotateSecret.name, () => {
  it('replaces the bootstrap enrollment token on every start, readable only by its owner', () => {
    const first = rotateSecret(dir, 'enrollment-token');
    expect(localSecret(dir, 'enrollment-token')).toBe(first);
    const second = rotateSecret(dir, 'enrollment-token');
    expect(second).not.toBe(first);
    expect(second.length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(dir, 'enrollment-token')).mode & 0o777).toBe(0o600);
  });

  it('leaves the API key as it was made', () => {
    expect(localSecret(dir, 'api-key')).toBe(localSecret(dir, 'api-key'));
  });
});
