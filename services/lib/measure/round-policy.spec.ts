import { describe, expect, it } from 'vitest';
import { decideNextRound } from './round-policy.js';

const protocol = { replicates: 3, maxReplicates: 6, targetHalfWidthPct: 1, budgetSeconds: 0 };
/** comparisons with these half-widths and no between-study floor */
const widths = (...halfWidths: Array<number | null>) => halfWidths.map((halfWidthPct) => ({ halfWidthPct, floorPct: 0 }));

describe(decideNextRound.name, () => {
  it('stops once every comparison is within the target', () => {
    const sut = decideNextRound({ protocol, rounds: 3, elapsedSeconds: 10, comparisons: widths(0.4, 0.9) });
    expect(sut).toMatchObject({ next: false, stopReason: 'target', worstHalfWidthPct: 0.9 });
    expect(sut.detail).toBe('every comparison within ±0.90% (target ±1.00%) after 3 rounds');
  });

  it('adds a round while a comparison is wider than the target or undecided', () => {
    expect(decideNextRound({ protocol, rounds: 3, elapsedSeconds: 10, comparisons: widths(0.4, 1.2) })).toMatchObject({ next: true, stopReason: null });
    expect(decideNextRound({ protocol, rounds: 4, elapsedSeconds: 10, comparisons: widths(0.4, null) })).toMatchObject({ next: true, worstHalfWidthPct: null });
  });

  it('stops at maxReplicates and says how far it got', () => {
    const sut = decideNextRound({ protocol, rounds: 6, elapsedSeconds: 10, comparisons: widths(1.5, null) });
    expect(sut).toMatchObject({ next: false, stopReason: 'max-replicates' });
    expect(sut.detail).toBe('6 rounds (maxReplicates); 1 of 2 comparisons undecided, target ±1.00%');
  });

  it('stops when the time budget is spent', () => {
    const sut = decideNextRound({ protocol: { ...protocol, budgetSeconds: 60 }, rounds: 4, elapsedSeconds: 61, comparisons: widths(2) });
    expect(sut).toMatchObject({ next: false, stopReason: 'budget' });
  });

  it('never stops before the minimum rounds, and runs exactly that many without a target', () => {
    expect(decideNextRound({ protocol, rounds: 2, elapsedSeconds: 1e6, comparisons: widths(0.1) }).next).toBe(true);
    expect(decideNextRound({ protocol: { ...protocol, targetHalfWidthPct: 0 }, rounds: 3, elapsedSeconds: 1, comparisons: widths(5) })).toMatchObject({
      next: false,
      stopReason: 'fixed',
    });
  });

  it('has nothing to wait for without a comparison', () => {
    expect(decideNextRound({ protocol, rounds: 3, elapsedSeconds: 1, comparisons: [] })).toMatchObject({ next: false, stopReason: 'no-comparison' });
  });

  it('stops when every comparison above the target is at its between-study floor, and only then', () => {
    const atFloor = [
      { halfWidthPct: 0.5, floorPct: 0 },
      { halfWidthPct: 1.6, floorPct: 1.2 },
    ];
    const sut = decideNextRound({ protocol, rounds: 5, elapsedSeconds: 10, comparisons: atFloor });
    expect(sut).toMatchObject({ next: false, stopReason: 'floor', worstHalfWidthPct: 1.6 });
    expect(sut.detail).toBe(
      'every comparison within ±1.60% after 5 rounds; those above the target ±1.00% are at their between-study floor (up to ±1.20%): more rounds cannot narrow them',
    );
    // the rounds' own share (√(1.8² − 1.2²) ≈ 1.34) still exceeds the floor: another round narrows it
    expect(decideNextRound({ protocol, rounds: 5, elapsedSeconds: 10, comparisons: [{ halfWidthPct: 1.8, floorPct: 1.2 }] })).toMatchObject({ next: true, stopReason: null });
    expect(decideNextRound({ protocol, rounds: 5, elapsedSeconds: 10, comparisons: [...atFloor, { halfWidthPct: null, floorPct: 0 }] })).toMatchObject({ next: true });
  });
});
