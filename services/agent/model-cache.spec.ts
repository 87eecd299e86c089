import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config/index.js';
import type { ControlClient } from './control.client.js';
import { ModelCache } from './model-cache.js';

const hashOf = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function setup(transfers: Buffer[], cacheMb = 1) {
  const dataDir = mkdtempSync(join(tmpdir(), 'latfleet-cache-'));
  const fetched: string[] = [];
  const control = {
    fetchModel: async (hash: string) => {
      fetched.push(hash);
      return transfers.shift() ?? Buffer.alloc(0);
    },
  } as unknown as ControlClient;
  const sut = new ModelCache(loadConfig({ LATFLEET_DATA_DIR: dataDir, LATFLEET_AGENT_CACHE_MB: String(cacheMb) }), control);
  return { sut, fetched, dataDir };
}

describe(ModelCache.name, () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('fetches a model once and serves it from disk afterwards', async () => {
    const model = Buffer.from('model bytes');
    const { sut, fetched, dataDir } = setup([model]);
    dirs.push(dataDir);
    const first = await sut.get(hashOf(model));
    const second = await sut.get(hashOf(model));
    expect([first.fetched, second.fetched]).toEqual([true, false]);
    expect(readFileSync(second.path)).toEqual(model);
    expect(fetched).toHaveLength(1);
  });

  it('fetches again when a transfer arrives corrupt, and gives up after three', async () => {
    const model = Buffer.from('the real model');
    const { sut, fetched, dataDir } = setup([Buffer.from('garbled'), model]);
    dirs.push(dataDir);
    await expect(sut.get(hashOf(model))).resolves.toMatchObject({ fetched: true });
    expect(fetched).toHaveLength(2);
    const bad = setup([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]);
    dirs.push(bad.dataDir);
    await expect(bad.sut.get(hashOf(model))).rejects.toThrow(/3 transfers arrived corrupt/);
  });

  it('replaces a cached file that was corrupted on disk', async () => {
    const model = Buffer.from('model v1');
    const { sut, fetched, dataDir } = setup([model, model]);
    dirs.push(dataDir);
    const { path } = await sut.get(hashOf(model));
    writeFileSync(path, 'bit rot');
    await expect(sut.get(hashOf(model))).resolves.toMatchObject({ fetched: true });
    expect(fetched).toHaveLength(2);
  });

  it('evicts the least recently used models beyond its size limit', async () => {
    const big = (c: string) => Buffer.alloc(600 * 1024, c);
    const [a, b] = [big('a'), big('b')];
    const { sut, dataDir } = setup([a, b], 1);
    dirs.push(dataDir);
    const first = await sut.get(hashOf(a));
    const second = await sut.get(hashOf(b));
    expect(existsSync(first.path)).toBe(false);
    expect(existsSync(second.path)).toBe(true);
  });
});
