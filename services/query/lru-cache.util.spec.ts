import { describe, expect, it } from 'vitest';
import { LruCache } from './lru-cache.util.js';

describe(LruCache.name, () => {
  it('forgets the least recently used entry beyond its capacity', () => {
    const sut = new LruCache<string, number>(2);
    sut.set('a', 1);
    sut.set('b', 2);
    sut.get('a');
    sut.set('c', 3);
    expect([sut.get('a'), sut.get('b'), sut.get('c'), sut.size]).toEqual([1, undefined, 3, 2]);
  });

  it('computes a missing value once', () => {
    const sut = new LruCache<string, number>(4);
    let calls = 0;
    const compute = () => ++calls;
    expect([sut.getOrCompute('k', compute), sut.getOrCompute('k', compute)]).toEqual([1, 1]);
  });
});
