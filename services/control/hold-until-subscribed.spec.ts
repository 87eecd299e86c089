import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { holdUntilSubscribed } from './hold-until-subscribed.js';

describe(holdUntilSubscribed.name, () => {
  it('delivers what arrived before the subscription, then passes values through', () => {
    const source = new Subject<number>();
    const sut = holdUntilSubscribed(source);
    source.next(1);
    source.next(2);
    const seen: number[] = [];
    let completed = false;
    sut.subscribe({ next: (v) => seen.push(v), complete: () => (completed = true) });
    source.next(3);
    source.complete();
    expect(seen).toEqual([1, 2, 3]);
    expect(completed).toBe(true);
  });

  it('keeps nothing once subscribed', () => {
    const source = new Subject<number>();
    const sut = holdUntilSubscribed(source);
    let count = 0;
    sut.subscribe(() => count++);
    for (let i = 0; i < 10_000; i++) source.next(i);
    expect(count).toBe(10_000);
    // A second subscriber would need the history: refused rather than silently missing messages.
    let refused: unknown;
    sut.subscribe({ error: (e) => (refused = e) });
    expect(String(refused)).toMatch(/one subscriber/);
  });
});
