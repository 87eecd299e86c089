import { describe, expect, it } from 'vitest';
import { decideNextRound } from './round-policy.js';

const protocol = { replicates: 3, maxReplicates: 6, targetHalfWidthPct: 1, budgetSeconds: 0 };

describe(decideNextRound.name, () => {
  it('stops once every comparison is within the target', () => {
    const sut = decideNextRound({ protocol, rounds: 3, elapsedSeconds: 10, halfWidthsPct: [0.4, 0.9] });
    expect(sut).toMatchObject({ next: false, stopReason: 'target', worstHalfWidthPct: 0.9 });
    expect(sut.detail).toBe('every comparison within ±0.90% (target ±1.00%) after 3 rounds');
  });

  it('adds a round while a comparison is wider than the target or undecided', () => {
    expect(decideNextRound({ protocol, rounds: 3, elapsedSeconds: 10, halfWidthsPct: [0.4, 1.2] })).toMatchObject({ next: true, stopReason: null });
    expect(decideNextRound({ protocol, rounds: 4, elapsedSeconds: 10, halfWidthsPct: [0.4, null] })).toMatchObject({ next: true, worstHalfWidthPct: null });
  });

  it('stops at maxReplicates and says how far it got', () => {
    const sut = decideNextRound({ protocol, rounds: 6, elapsedSeconds: 10, halfWidthsPct: [1.5, null] });
    expect(sut).toMatchObject({ next: false, stopReason: 'max-replicates' });
    expect(sut.detail).toBe('6 rounds (maxReplicates); 1 of 2 comparisons undecided, target ±1.00%');
  });

  it('stops when the time budget is spent', () => {
    const sut = decideNextRound({ protocol: { ...protocol, budgetSeconds: 60 }, rounds: 4, elapsedSeconds: 61, halfWidthsPct: [2] });
    expect(sut).toMatchObject({ next: false, stopReason: 'budget' });
  });

  it('never stops before the minimum rounds, and runs exactly that many without a target', () => {
    expect(decideNextRound({ protocol, rounds: 2, elapsedSeconds: 1e6, halfWidthsPct: [0.1] }).next).toBe(true);
    expect(decideNextRound({ protocol: { ...protocol, targetHalfWidthPct: 0 }, rounds: 3, elapsedSeconds: 1, halfWidthsPct: [5] })).toMatchObject({ next: false, stopReason: 'fixed' });
  });

  it('has nothing to wait for without a comparison', () => {
    expect(decideNextRound({ protocol, rounds: 3, elapsedSeconds: 1, halfWidthsPct: [] })).toMatchObject({ next: false, stopReason: 'no-comparison' });
  });
});
