import { describe, expect, it, vi } from 'vitest';
import { ModelBytesCache } from './model-bytes.cache.js';

const bytes = (n: number, fill = 1) => Buffer.alloc(n, fill);

describe(ModelBytesCache.name, () => {
  it('loads a model once for concurrent requests and serves later ones from memory', async () => {
    const sut = new ModelBytesCache(100);
    let release!: () => void;
    const load = vi.fn(() => new Promise<Buffer>((r) => (release = () => r(bytes(10)))));
    const waiting = Promise.all([sut.get('a', load), sut.get('a', load), sut.get('a', load)]);
    release();
    const got = await waiting;
    expect(load).toHaveBeenCalledTimes(1);
    expect(got[0]).toBe(got[2]);
    await sut.get('a', load);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('evicts the least recently used models to stay within its byte limit', async () => {
    const sut = new ModelBytesCache(25);
    await sut.get('a', async () => bytes(10));
    await sut.get('b', async () => bytes(10));
    sut.peek('a');
    await sut.get('c', async () => bytes(10));
    expect(sut.size).toBe(20);
    expect(sut.peek('b')).toBeUndefined();
    expect(sut.peek('a')).toBeDefined();
    expect(sut.peek('c')).toBeDefined();
  });

  it('does not keep a model larger than the limit, nor a missing one, and loads again after a failure', async () => {
    const sut = new ModelBytesCache(5);
    expect(await sut.get('big', async () => bytes(6))).toHaveLength(6);
    expect(sut.size).toBe(0);
    expect(await sut.get('gone', async () => null)).toBeNull();
    await expect(sut.get('flaky', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await sut.get('flaky', async () => bytes(3))).toHaveLength(3);
    expect(sut.size).toBe(3);
  });
});
