import { describe, expect, it, vi } from 'vitest';
import { ModelBytesCache } from './model-bytes.cache.js';

const bytes = (n: number, fill = 1) => Buffer.alloc(n, fill);

/** A load that resolves or fails when the test says so. */
function deferredLoad() {
  let resolve!: (b: Buffer) => void;
  let reject!: (e: Error) => void;
  const load = vi.fn(() => new Promise<Buffer>((res, rej) => ((resolve = res), (reject = rej))));
  return { load, resolve: (b: Buffer) => resolve(b), reject: (e: Error) => reject(e) };
}

async function acquireReleased(sut: ModelBytesCache, sha256: string, n: number) {
  const lease = await sut.acquire(sha256, n, async () => bytes(n));
  lease?.release();
  return lease;
}

describe(ModelBytesCache.name, () => {
  it('loads a model once for concurrent requests and serves later ones from memory', async () => {
    const sut = new ModelBytesCache(100);
    const { load, resolve } = deferredLoad();
    const waiting = Promise.all([sut.acquire('a', 10, load), sut.hold('a'), sut.acquire('a', 10, load)]);
    resolve(bytes(10));
    const got = await waiting;
    expect(load).toHaveBeenCalledTimes(1);
    expect(got[0]!.data).toBe(got[2]!.data);
    for (const l of got) l!.release();
    expect((await sut.hold('a'))!.data).toBe(got[0]!.data);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('counts a load in flight at its reserved size, and turns away what does not fit beside it', async () => {
    const sut = new ModelBytesCache(100);
    const loads = Array.from({ length: 5 }, () => deferredLoad());
    const pending = loads.map((l, i) => sut.acquire(`m${i}`, 90, l.load));
    expect(pending.map((p) => p !== null)).toEqual([true, false, false, false, false]);
    expect(sut.size).toBe(90);
    expect(sut.acquire('small', 20, async () => bytes(20))).toBeNull();
    expect(loads.map((l) => l.load.mock.calls.length)).toEqual([1, 0, 0, 0, 0]);
    loads[0]!.resolve(bytes(90));
    (await pending[0])!.release();
    expect(sut.size).toBe(90);
  });

  it('keeps a model held by a stream counted and in memory, and frees it for others once released', async () => {
    const sut = new ModelBytesCache(100);
    const streaming = (await sut.acquire('a', 60, async () => bytes(60)))!;
    expect(sut.acquire('b', 60, async () => bytes(60))).toBeNull();
    expect(sut.size).toBe(60);
    const second = (await sut.hold('a'))!;
    expect(second.data).toBe(streaming.data);
    streaming.release();
    streaming.release();
    expect(sut.acquire('b', 60, async () => bytes(60))).toBeNull();
    second.release();
    const b = (await sut.acquire('b', 60, async () => bytes(60)))!;
    expect(sut.size).toBe(60);
    expect(sut.hold('a')).toBeUndefined();
    b.release();
  });

  it('evicts the least recently used unheld models to stay within its byte limit', async () => {
    const sut = new ModelBytesCache(25);
    await acquireReleased(sut, 'a', 10);
    await acquireReleased(sut, 'b', 10);
    (await sut.hold('a'))!.release();
    await acquireReleased(sut, 'c', 10);
    expect(sut.size).toBe(20);
    expect(sut.hold('b')).toBeUndefined();
    expect(sut.hold('a')).toBeDefined();
    expect(sut.hold('c')).toBeDefined();
  });

  it('never loads a model larger than the limit', () => {
    const sut = new ModelBytesCache(5);
    const load = vi.fn(async () => bytes(6));
    expect(sut.acquire('big', 6, load)).toBeNull();
    expect(load).not.toHaveBeenCalled();
    expect(sut.size).toBe(0);
  });

  it('frees the reservation of a failed load, keeps nothing, fails every waiter, and loads again later', async () => {
    const sut = new ModelBytesCache(100);
    const { load, reject } = deferredLoad();
    const first = sut.acquire('flaky', 90, load)!;
    const joined = sut.hold('flaky')!;
    expect(sut.size).toBe(90);
    reject(new Error('db down'));
    await expect(first).rejects.toThrow('db down');
    await expect(joined).rejects.toThrow('db down');
    expect(sut.size).toBe(0);
    expect(sut.hold('flaky')).toBeUndefined();
    const again = (await sut.acquire('flaky', 90, async () => bytes(90)))!;
    expect(again.data).toHaveLength(90);
    expect(sut.size).toBe(90);
  });

  it('fails every waiter when the load throws before returning a promise', async () => {
    const sut = new ModelBytesCache(100);
    const load = () => {
      throw new Error('bad query');
    };
    await expect(sut.acquire('x', 10, load)!).rejects.toThrow('bad query');
    expect(sut.size).toBe(0);
  });
});
