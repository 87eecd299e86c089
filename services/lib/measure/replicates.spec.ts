import { describe, expect, it } from 'vitest';
import {
  benjaminiHochberg,
  betweenStudySdAt,
  betweenStudyVariance,
  compareReplicates,
  MIN_BETWEEN_STUDY_DF,
  pairByRound,
  pairedLogRatio,
  pairedShift,
  replicatedLatency,
  reproducibility,
  type PairedInput,
} from './replicates.js';
import { SeededRandom } from './seeded-random.js';
import { studentTCdf, studentTQuantile, studentTTwoSidedP } from './student-t.js';

/** A run of `n` iterations around `medianNs` with 1% iteration noise. */
function run(rng: SeededRandom, medianNs: number, n = 100): number[] {
  return Array.from({ length: n }, () => medianNs * (1 + 0.01 * rng.normal())).sort((a, b) => a - b);
}

const medianOf = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

describe('Student t', () => {
  it('matches published quantiles', () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062, 3);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.3027, 3);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.2281, 3);
    expect(studentTQuantile(0.975, 1000)).toBeCloseTo(1.9623, 3);
    expect(studentTQuantile(0.025, 5)).toBeCloseTo(-2.5706, 3);
  });

  it('CDF and two-sided p agree with the quantiles', () => {
    expect(studentTCdf(2.2281, 10)).toBeCloseTo(0.975, 4);
    expect(studentTTwoSidedP(2.2281, 10)).toBeCloseTo(0.05, 4);
    expect(studentTTwoSidedP(0, 4)).toBe(1);
  });
});

describe(replicatedLatency.name, () => {
  it('widens the interval to the spread between runs, which pooled iterations hide', () => {
    const rng = new SeededRandom(1);
    // three sessions whose medians differ by 3%, each with tight iterations
    const reps = [100, 103, 101.5].map((m) => ({ sortedNs: run(rng, m * 1e4, 200) }));
    const sut = replicatedLatency(reps, { seed: 7 });
    expect(sut.replicates).toBe(3);
    expect(sut.median).toBeCloseTo(medianOf(reps.map((r) => medianOf(r.sortedNs))), 6);
    expect(sut.ci!.low).toBeLessThan(100.4e4);
    expect(sut.ci!.high).toBeGreaterThan(102.6e4);
  });

  it('has no interval from a single replicate', () => {
    const sut = replicatedLatency([{ sortedNs: [1, 2, 3] }]);
    expect(sut.ci).toBeNull();
    expect(sut.median).toBe(2);
  });

  it('is reproducible for a seed', () => {
    const rng = new SeededRandom(2);
    const reps = [1, 2, 3].map((k) => ({ sortedNs: run(rng, 1e6 + k * 1e4) }));
    expect(replicatedLatency(reps, { seed: 3 }).ci).toEqual(replicatedLatency(reps, { seed: 3 }).ci);
  });
});

describe(compareReplicates.name, () => {
  /** `rounds` rounds of base and candidate, the candidate `effect` slower; the host's speed in round r multiplies both. */
  function study(rng: SeededRandom, rounds: number, effect: number, hostSpeed: (r: number) => number, sessionNoise = 0.015) {
    const base = [];
    const cand = [];
    for (let r = 0; r < rounds; r++) {
      const host = hostSpeed(r);
      base.push({ round: r, value: medianOf(run(rng, 1e6 * host * (1 + sessionNoise * rng.normal()))) });
      cand.push({ round: r, value: medianOf(run(rng, 1e6 * host * (1 + effect) * (1 + sessionNoise * rng.normal()))) });
    }
    return { base, cand };
  }

  it('gives no false positive when the host changes speed between rounds', () => {
    const rng = new SeededRandom(11);
    let called = 0;
    const trials = 400;
    for (let t = 0; t < trials; t++) {
      // rounds 0-3 on a fast host, rounds 4-7 on a host 20% slower: both variants see the same step
      const sut = compareReplicates(study(rng, 8, 0, (r) => (r < 4 ? 1 : 1.2)));
      if (sut.verdict !== 'within noise') called++;
    }
    // nominal 5%; binomial(400, 0.05) stays below 8% with overwhelming probability
    expect(called / trials).toBeLessThan(0.08);
  });

  it('detects a true 2% shift under the same host step', () => {
    const rng = new SeededRandom(13);
    let slower = 0;
    for (let t = 0; t < 100; t++) {
      const sut = compareReplicates(study(rng, 10, 0.02, (r) => (r % 3 === 0 ? 1.25 : 1), 0.008));
      if (sut.verdict === 'slower') slower++;
    }
    expect(slower).toBeGreaterThanOrEqual(95);
  });

  it('reports the ratio, its interval and the minimum detectable effect', () => {
    const base = [1, 2, 3, 4].map((r) => ({ round: r, value: 100 }));
    const cand = [1.02, 1.01, 1.03, 1.02].map((f, r) => ({ round: r + 1, value: 100 * f }));
    const sut = compareReplicates({ base, cand });
    expect(sut.design).toBe('paired');
    expect(sut.rounds).toBe(4);
    expect(sut.ratio).toBeCloseTo(Math.exp((Math.log(1.02) * 2 + Math.log(1.01) + Math.log(1.03)) / 4), 10);
    expect(sut.verdict).toBe('slower');
    expect(sut.ratioCi!.low).toBeGreaterThan(1);
    expect(sut.minimumDetectable).toBeCloseTo(Math.sqrt(sut.ratioCi!.high / sut.ratioCi!.low) - 1, 10);
  });

  it('is undecided with fewer than three paired rounds, and says why', () => {
    const sut = compareReplicates({
      base: [
        { round: 0, value: 1 },
        { round: 1, value: 1 },
      ],
      cand: [
        { round: 0, value: 2 },
        { round: 1, value: 2 },
        { round: 2, value: 2 },
      ],
    });
    expect(sut.verdict).toBe('undecided');
    expect(sut.rounds).toBe(2);
    expect(sut.reason).toBe('2 paired rounds: a verdict needs at least 3');
    expect(sut.ratio).toBe(2);
  });

  it('falls back to independent replicates (Welch) for runs without rounds', () => {
    const base = [100, 101, 99, 100].map((value) => ({ round: null, value }));
    const cand = [110, 111, 109, 110].map((value) => ({ round: null, value }));
    const sut = compareReplicates({ base, cand });
    expect(sut.design).toBe('unpaired');
    expect(sut.verdict).toBe('slower');
  });

  it('refuses non-positive latencies', () => {
    expect(() => compareReplicates({ base: [{ round: 0, value: 0 }], cand: [{ round: 0, value: 1 }] })).toThrow(/not a positive latency/);
  });
});

describe(pairByRound.name, () => {
  it('leaves out rounds where a side has two runs or none', () => {
    const pairs = pairByRound({
      base: [
        { round: 0, value: 1 },
        { round: 1, value: 2 },
        { round: 1, value: 3 },
        { round: 2, value: 4 },
      ],
      cand: [
        { round: 0, value: 5 },
        { round: 1, value: 6 },
        { round: 3, value: 7 },
      ],
    });
    expect(pairs).toEqual([{ round: 0, base: 1, cand: 5 }]);
  });
});

describe(pairedShift.name, () => {
  it('handles a group the candidate lacks (0 ns)', () => {
    const base = [0, 1, 2].map((round) => ({ round, value: 100 + round }));
    const cand = [0, 1, 2].map((round) => ({ round, value: 0 }));
    const sut = pairedShift({ base, cand });
    expect(sut.difference).toBe(-101);
    expect(sut.pValue!).toBeLessThan(0.05);
  });
});

describe(benjaminiHochberg.name, () => {
  it('matches the step-up procedure (R p.adjust "BH")', () => {
    const adjusted = benjaminiHochberg([0.01, 0.04, null, 0.03, 0.5]);
    // sorted 0.01, 0.03, 0.04, 0.5 (m = 4): 0.04, 0.0533, 0.0533, 0.5
    expect(adjusted[0]).toBeCloseTo(0.04, 10);
    expect(adjusted[1]).toBeCloseTo((0.04 * 4) / 3, 10);
    expect(adjusted[2]).toBeNull();
    expect(adjusted[3]).toBeCloseTo((0.04 * 4) / 3, 10);
    expect(adjusted[4]).toBeCloseTo(0.5, 10);
  });
});

describe('between studies', () => {
  /**
   * `studies` studies of one comparison, each of `rounds` paired rounds: the true log ratio moves by
   * `tau` (SD) from study to study — what the host did in those minutes — and by `sigma` per round.
   */
  function repeats(rng: SeededRandom, studies: number, rounds: number, tau: number, sigma = 0.006) {
    return Array.from({ length: studies }, () => {
      const shift = tau * rng.normal();
      const base = Array.from({ length: rounds }, (_, r) => ({ round: r, value: 1e6 * (1 + 0.02 * rng.normal()) }));
      const cand = base.map((b) => ({ round: b.round, value: b.value * 1.3 * Math.exp(shift + sigma * rng.normal()) }));
      return { base, cand };
    });
  }
  /** Studies of a +95% difference whose log ratio moves 1% of itself (SD) from study to study, 0.6% per round. */
  function largeRepeats(rng: SeededRandom, studies: number, rounds: number) {
    return Array.from({ length: studies }, () => {
      const shift = 0.01 * Math.log(1.95) * rng.normal();
      const base = Array.from({ length: rounds }, (_, r) => ({ round: r, value: 1e6 * (1 + 0.02 * rng.normal()) }));
      return { base, cand: base.map((b) => ({ round: b.round, value: b.value * 1.95 * Math.exp(shift + 0.006 * rng.normal()) })) };
    });
  }
  const estimate = (s: { base: PairedInput['base']; cand: PairedInput['cand'] }) => {
    const { logRatio, se } = pairedLogRatio(pairByRound(s));
    return { comparison: 'a>b', logRatio, se };
  };

  it('estimates the component from studies that repeat a comparison, pooled over comparisons', () => {
    const rng = new SeededRandom(11);
    const studies = [...repeats(rng, 40, 10, 0.005), ...repeats(rng, 40, 10, 0.005)];
    const sut = betweenStudyVariance(studies.map((s, i) => ({ ...estimate(s), comparison: i < 40 ? 'a>b' : 'a>c' })));
    expect(sut).toMatchObject({ df: 78, comparisons: 2 });
    expect(sut.sd).toBeGreaterThan(0.0035);
    expect(sut.sd).toBeLessThan(0.0065);
  });

  it('finds none when studies agree within their own rounds, and nothing to learn from a comparison measured once', () => {
    const rng = new SeededRandom(12);
    // DerSimonian–Laird with weights from 10 rounds each leans high, but stays well under the 0.3% floor
    expect(betweenStudyVariance(repeats(rng, 40, 10, 0).map(estimate)).sd).toBeLessThan(0.0015);
    expect(betweenStudyVariance([estimate(repeats(rng, 1, 10, 0)[0]!)])).toEqual({ sd: 0, df: 0, comparisons: 0 });
  });

  it('widens every paired interval so that it covers what a repeat of the study finds', () => {
    const rng = new SeededRandom(13);
    const studies = repeats(rng, 60, 10, 0.006);
    const covered = (betweenStudySd: number) => {
      const cmps = studies.map((s) => compareReplicates(s, { betweenStudySd }));
      let inside = 0;
      for (let i = 1; i < cmps.length; i++) if (cmps[i]!.ratio >= cmps[i - 1]!.ratioCi!.low && cmps[i]!.ratio <= cmps[i - 1]!.ratioCi!.high) inside++;
      return inside / (cmps.length - 1);
    };
    // from its rounds alone a study's interval misses most repeats; with the component it covers ≈ 83% of
    // them, what two independent estimates of one quantity give a 95% interval (P(|Z| < 1.96/√2))
    expect(covered(0)).toBeLessThan(0.5);
    expect(covered(0.006)).toBeGreaterThan(0.7);
    const wide = compareReplicates(studies[0]!, { betweenStudySd: 0.006 });
    const narrow = compareReplicates(studies[0]!);
    expect(wide.ratio).toBe(narrow.ratio);
    expect(wide.minimumDetectable!).toBeGreaterThan(narrow.minimumDetectable!);
  });

  it('widens a large difference’s interval more: the part of the component that grows with the log ratio', () => {
    // +95% (log ratio 0.67): its ratio moves 1% of that (0.0067) from study to study; a −6% twin's barely
    const rng = new SeededRandom(14);
    const large = largeRepeats(rng, 60, 30);
    const covered = (options: { betweenStudySd: number; betweenStudyRelative?: number }) => {
      const cmps = large.map((s) => compareReplicates(s, options));
      let inside = 0;
      for (let i = 1; i < cmps.length; i++) if (cmps[i]!.ratio >= cmps[i - 1]!.ratioCi!.low && cmps[i]!.ratio <= cmps[i - 1]!.ratioCi!.high) inside++;
      return inside / (cmps.length - 1);
    };
    // the constant floor alone (0.3%) covers too few repeats of the large difference; with 1% of the log ratio, ≈ 83% again
    expect(covered({ betweenStudySd: 0.003 })).toBeLessThan(0.65);
    expect(covered({ betweenStudySd: 0.003, betweenStudyRelative: 0.01 })).toBeGreaterThan(0.75);
    // a ratio of 1 gets nothing from it: an A/A comparison keeps its power
    const twin = repeats(rng, 1, 10, 0)[0]!;
    const aa = { base: twin.base, cand: twin.base.map((b) => ({ ...b, value: b.value * (1 + 0.001 * rng.normal()) })) };
    const withRelative = compareReplicates(aa, { betweenStudySd: 0.003, betweenStudyRelative: 0.01 }).minimumDetectable!;
    expect(withRelative).toBeCloseTo(compareReplicates(aa, { betweenStudySd: 0.003 }).minimumDetectable!, 4);
    expect(betweenStudySdAt(Math.log(1.95), 0.003, 0.01)).toBeCloseTo(Math.hypot(0.003, 0.00668), 5);
  });

  it('learns only what the part that grows with the log ratio leaves unexplained', () => {
    const rng = new SeededRandom(15);
    const studies = largeRepeats(rng, 40, 10);
    const estimates = studies.map(estimate);
    expect(betweenStudyVariance(estimates).sd).toBeGreaterThan(0.004);
    expect(betweenStudyVariance(estimates, 0.01).sd).toBeLessThan(0.003);
  });

  it('uses the floor until the device has learned a larger component from enough repeats', () => {
    expect(reproducibility(0.3, { sd: 0.009, df: MIN_BETWEEN_STUDY_DF - 1, comparisons: 1 })).toEqual({
      betweenStudyPct: 0.3,
      source: 'floor',
      df: 4,
      learnedPct: null,
      relativePct: 0,
    });
    expect(reproducibility(0.3, { sd: 0.001, df: 12, comparisons: 3 }, 1)).toEqual({ betweenStudyPct: 0.3, source: 'floor', df: 12, learnedPct: 0.1, relativePct: 1 });
    expect(reproducibility(0.3, { sd: 0.009, df: 12, comparisons: 3 })).toMatchObject({ betweenStudyPct: 0.9, source: 'learned', df: 12 });
  });
});
