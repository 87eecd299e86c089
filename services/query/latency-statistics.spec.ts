import { describe, expect, it } from 'vitest';
import type { PairedDifference } from '../lib/measure/index.js';
import { deltaOf, noCleanReplicate, replicatedDelta, selectReplicates, summarizeReplicates, type RunReplicate } from './latency-statistics.js';

const run = (id: string, medianNs: number, flags?: string[]): RunReplicate => ({
  id,
  round: null,
  flagged: flags !== undefined,
  flags: flags ?? [],
  sortedNs: [medianNs * 0.99, medianNs, medianNs * 1.01],
});

describe(selectReplicates.name, () => {
  const runs = [run('a', 1), run('b', 1, ['busy-system']), run('c', 1)];

  it('leaves flagged runs out by default and lists them either way', () => {
    expect(selectReplicates(runs, false)).toEqual({ used: [runs[0], runs[2]], flagged: [runs[1]] });
    expect(selectReplicates(runs, true)).toEqual({ used: runs, flagged: [runs[1]] });
  });
});

describe(noCleanReplicate.name, () => {
  it('counts the flagged runs and names their distinct flags', () => {
    expect(noCleanReplicate([run('a', 1, ['busy-system']), run('b', 1, ['host-slow', 'busy-system']), run('c', 1, ['busy-system'])])).toBe(
      'no clean replicate: 3 flagged (busy-system, host-slow)',
    );
    expect(noCleanReplicate([run('a', 1, [])])).toBe('no clean replicate: 1 flagged');
  });
});

describe(summarizeReplicates.name, () => {
  it('takes each run as a replicate: the median of the run medians, the flagged runs counted apart', () => {
    const sut = summarizeReplicates([run('a', 4.07e6), run('b', 4.41e6), run('c', 4.59e6), run('d', 9e6, ['busy-system'])]);

    expect(sut).toMatchObject({ medianMs: 4.41, samples: 9, replicates: 3, flaggedReplicates: 1, flags: ['busy-system'] });
    expect(sut.ciLowMs!).toBeLessThan(4.1);
    expect(sut.ciHighMs!).toBeGreaterThan(4.55);
  });

  it('has no interval from one run and no latency when every run is flagged', () => {
    expect(summarizeReplicates([run('a', 4e6)])).toMatchObject({ medianMs: 4, ciLowMs: null, ciHighMs: null, replicates: 1 });
    expect(summarizeReplicates([run('a', 4e6, ['busy-system'])])).toEqual({
      medianMs: null,
      p90Ms: null,
      ciLowMs: null,
      ciHighMs: null,
      samples: 0,
      replicates: 0,
      flaggedReplicates: 1,
      flags: ['busy-system'],
    });
    expect(summarizeReplicates([run('a', 4e6, ['busy-system'])], true)).toMatchObject({ medianMs: 4, replicates: 1, flaggedReplicates: 1 });
  });
});

describe(deltaOf.name, () => {
  const decided: PairedDifference = {
    design: 'paired',
    rounds: 4,
    ratio: 1.02,
    ratioCi: { low: 1.012, high: 1.028, level: 0.95 },
    minimumDetectable: 0.00791,
    pValue: 0.003,
    verdict: 'slower',
    reason: null,
  };

  it('reads the ratio as a relative delta, in ms over the baseline median, with the resolution in %', () => {
    expect(deltaOf(decided, 10e6)).toEqual({
      deltaMs: 0.2,
      deltaPct: 2,
      deltaCiLowMs: 0.12,
      deltaCiHighMs: 0.28,
      deltaCiLowPct: 1.2,
      deltaCiHighPct: 2.8,
      mdePct: 0.79,
      pValue: 0.003,
      significant: true,
      verdict: 'slower',
      verdictReason: null,
      rounds: 4,
      design: 'paired',
    });
  });

  it('keeps the point estimate of an undecided comparison, without an interval', () => {
    const undecided: PairedDifference = {
      ...decided,
      rounds: 2,
      ratioCi: null,
      minimumDetectable: null,
      pValue: null,
      verdict: 'undecided',
      reason: '2 paired rounds: a verdict needs at least 3',
    };
    expect(deltaOf(undecided, 10e6)).toMatchObject({
      deltaPct: 2,
      deltaCiLowPct: null,
      mdePct: null,
      significant: null,
      verdict: 'undecided',
      verdictReason: '2 paired rounds: a verdict needs at least 3',
    });
    expect(deltaOf({ ...undecided, rounds: 0, ratio: Number.NaN }, 10e6)).toMatchObject({ deltaMs: null, deltaPct: null });
  });
});

describe(replicatedDelta.name, () => {
  it('pairs by round: a host step both sides saw cancels', () => {
    const base = [1, 1.2, 1.2].map((h, round) => ({ round, value: 10e6 * h }));
    const cand = [1, 1.2, 1.2].map((h, round) => ({ round, value: 10e6 * h * [1.001, 0.999, 1][round]! }));
    expect(replicatedDelta({ base, cand })).toMatchObject({ verdict: 'within noise', design: 'paired', rounds: 3 });
  });
});
