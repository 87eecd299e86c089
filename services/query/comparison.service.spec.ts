import { describe, expect, it } from 'vitest';
import { LatfleetError } from '../lib/errors/index.js';
import type { AccuracyRepository } from './accuracy.repository.js';
import type { ComparisonRepository, LatencyCell, StudyVariant } from './comparison.repository.js';
import { ComparisonService, resourcesOf } from './comparison.service.js';
import type { DeviceRepository } from './device.repository.js';
import type { RunReplicate } from './latency-statistics.js';
import type { StudyRepository } from './study.repository.js';

const variant = (label: string, position: number, isBaseline = false): StudyVariant => ({
  id: `v-${label}`,
  label,
  isBaseline,
  position,
  modelName: `model-${label}`,
  sha256: label.padEnd(64, '0'),
  madds: 100 + position,
  params: 10,
});

/** One run: 41 iterations spread ±0.5% around `medianNs` (its median exactly). */
const run = (id: string, round: number | null, medianNs: number, quality: { flags?: string[] } = {}): RunReplicate & { resources: null } => ({
  resources: null,
  id,
  round,
  flagged: quality.flags !== undefined,
  flags: quality.flags ?? [],
  sortedNs: Array.from({ length: 41 }, (_, k) => medianNs * (1 + 0.005 * (k / 20 - 1))),
});

/** One run per round at `medianNs(round)`. */
const rounds = (label: string, device: string, medians: number[], flagged: Record<number, string[]> = {}): LatencyCell['runs'] =>
  medians.map((m, r) => run(`${label}-${device}-${r}`, r, m, { flags: flagged[r] }));

const cell = (label: string, device: string, runs: LatencyCell['runs']): LatencyCell => ({
  variantId: `v-${label}`,
  deviceId: `d-${device}`,
  deviceName: device,
  deviceClass: 'cpu',
  runs,
});

function setup(cells: LatencyCell[], opts: { study?: boolean; learnedPct?: number } = {}) {
  const asked: Array<readonly string[] | undefined> = [];
  const studies = {
    header: async (id: string) => (opts.study === false ? null : { id, name: 's', status: 'completed', baselineLabel: 'base', betweenStudyPct: 0.3, betweenStudyRelativePct: 1 }),
  };
  const comparisons = {
    variants: async () => [variant('fast', 0), variant('base', 1, true), variant('same', 2), variant('slow', 3), variant('never-ran', 4)],
    cells: async (_: string, deviceIds?: readonly string[]) => (asked.push(deviceIds), cells.filter((c) => !deviceIds || deviceIds.includes(c.deviceId))),
  };
  const devices = {
    resolve: async (refs: readonly string[]) => refs.map((r) => ({ id: `d-${r}`, name: r, deviceClass: 'cpu' })),
    // the floor, or a component the device learned from other studies
    reproducibility: async (ids: readonly string[], floor: number, relativePct: number) =>
      new Map(
        ids.map((id) => [
          id,
          opts.learnedPct
            ? { betweenStudyPct: opts.learnedPct, source: 'learned', df: 8, learnedPct: opts.learnedPct, relativePct }
            : { betweenStudyPct: floor, source: 'floor', df: 0, learnedPct: null, relativePct },
        ]),
      ),
  };
  const accuracies = { forVariants: async () => new Map([['v-base', { top1: 75.2, source: 'paper', scope: 'model' as const }]]) };
  const sut = new ComparisonService(
    studies as unknown as StudyRepository,
    comparisons as unknown as ComparisonRepository,
    devices as unknown as DeviceRepository,
    accuracies as unknown as AccuracyRepository,
  );
  return { sut, asked };
}

const rowOf = (c: Awaited<ReturnType<ComparisonService['compare']>>, label: string, device = 'a') => c.rows.find((r) => r.variant === label && r.device === device)!;

/** The host's speed in each round: a 5% step after the first round, as when a co-tenant arrives. */
const HOST_STEP = [1, 1.05, 1.05];

describe(ComparisonService.name, () => {
  it('calls an A/A pair within noise when the host slows 5% between rounds, and shows the resolution', async () => {
    // the same network under two labels: only session noise (±0.3%) differs within a round
    const base = rounds(
      'base',
      'a',
      HOST_STEP.map((h, r) => 10e6 * h * [1.002, 0.998, 1.001][r]!),
    );
    const same = rounds(
      'same',
      'a',
      HOST_STEP.map((h, r) => 10e6 * h * [0.999, 1.003, 0.998][r]!),
    );
    const { sut } = setup([cell('base', 'a', base), cell('same', 'a', same)]);

    const row = rowOf(await sut.compare('s1'), 'same');

    expect(row).toMatchObject({ verdict: 'within noise', significant: false, design: 'paired', rounds: 3, replicates: 3, verdictReason: null });
    expect(row.mdePct).toBeGreaterThan(0.5);
    expect(row.mdePct).toBeLessThan(2);
    expect(row.deltaCiLowPct!).toBeLessThan(0);
    expect(row.deltaCiHighPct!).toBeGreaterThan(0);
    // the latency's interval carries the spread between runs, which pooled iterations would hide
    expect(row.ciLowMs!).toBeLessThanOrEqual(10.03);
    expect(row.ciHighMs!).toBeGreaterThanOrEqual(10.5);
  });

  it('widens every interval by the device’s between-study component, and says which it used', async () => {
    const host = [1, 1.05, 0.97, 1.02, 1.08];
    const base = rounds(
      'base',
      'a',
      host.map((h) => 10e6 * h),
    );
    const slow = rounds(
      'slow',
      'a',
      host.map((h, r) => 10e6 * h * 1.01 * [0.999, 1.001, 1, 1.001, 0.999][r]!),
    );
    const floor = await setup([cell('base', 'a', base), cell('slow', 'a', slow)]).sut.compare('s1');
    const learned = await setup([cell('base', 'a', base), cell('slow', 'a', slow)], { learnedPct: 1 }).sut.compare('s1');

    expect(floor.reproducibility).toEqual([{ deviceId: 'd-a', device: 'a', betweenStudyPct: 0.3, source: 'floor', df: 0, learnedPct: null, relativePct: 1 }]);
    expect(learned.reproducibility[0]).toMatchObject({ betweenStudyPct: 1, source: 'learned' });
    // +1% is beyond this study's rounds and the floor, not beyond a device whose studies move by 1% (SD) between them
    expect(rowOf(floor, 'slow')).toMatchObject({ verdict: 'slower', deltaPct: 1 });
    expect(rowOf(learned, 'slow')).toMatchObject({ verdict: 'within noise', deltaPct: 1 });
    expect(rowOf(learned, 'slow').mdePct!).toBeGreaterThan(2.7); // t(0.975, 4) × 1%
  });

  it('calls a 3% shift slower over 5 rounds despite the host changing speed between them', async () => {
    const host = [1, 1.05, 0.97, 1.02, 1.08];
    const base = rounds(
      'base',
      'a',
      host.map((h, r) => 10e6 * h * [1.001, 0.999, 1.002, 0.998, 1][r]!),
    );
    const slow = rounds(
      'slow',
      'a',
      host.map((h, r) => 10e6 * h * 1.03 * [0.999, 1.002, 1, 1.001, 0.998][r]!),
    );
    const { sut } = setup([cell('base', 'a', base), cell('slow', 'a', slow)]);

    const c = await sut.compare('s1');
    const row = rowOf(c, 'slow');

    expect(row).toMatchObject({ verdict: 'slower', significant: true, rounds: 5, design: 'paired' });
    expect(row.deltaPct).toBeCloseTo(3, 0);
    expect(row.deltaCiLowPct!).toBeGreaterThan(0);
    expect(row.mdePct!).toBeLessThan(3);
    expect(row.pValue!).toBeLessThan(0.05);
    expect(row.deltaMs).toBeCloseTo((row.deltaPct! / 100) * rowOf(c, 'base').medianMs!, 2);
  });

  it('gives the latency as the median of the run medians, and the baseline a zero delta', async () => {
    const { sut } = setup([cell('base', 'a', rounds('base', 'a', [4.07e6, 4.59e6, 4.41e6]))]);

    const row = rowOf(await sut.compare('s1'), 'base');

    expect(row).toMatchObject({ baseline: true, medianMs: 4.41, replicates: 3, samples: 123, deltaMs: 0, deltaPct: 0, verdict: null, top1: 75.2, top1Source: 'paper' });
    expect(row.ciLowMs!).toBeLessThan(4.1);
    expect(row.ciHighMs!).toBeGreaterThan(4.55);
  });

  it('is undecided with fewer than three paired rounds, and says why', async () => {
    const { sut } = setup([cell('base', 'a', rounds('base', 'a', [10e6, 10e6])), cell('fast', 'a', rounds('fast', 'a', [9e6, 9e6]))]);

    const row = rowOf(await sut.compare('s1'), 'fast');

    expect(row).toMatchObject({ verdict: 'undecided', verdictReason: '2 paired rounds: a verdict needs at least 3', significant: null, mdePct: null, deltaPct: -10, rounds: 2 });
  });

  it('leaves flagged runs out of the latency and the verdict, and counts them with their flags', async () => {
    const base = rounds('base', 'a', [10e6, 10e6, 10e6, 10e6]);
    const same = rounds('same', 'a', [10e6, 10e6, 10e6, 12e6], { 3: ['busy-system'] });
    const { sut } = setup([cell('base', 'a', base), cell('same', 'a', same)]);

    const row = rowOf(await sut.compare('s1'), 'same');

    expect(row).toMatchObject({ verdict: 'within noise', rounds: 3, replicates: 3, flaggedReplicates: 1, flags: ['busy-system'], medianMs: 10, deltaPct: 0 });
    expect(row.runIds).toEqual(['same-a-0', 'same-a-1', 'same-a-2']);
    expect(row.flaggedRunIds).toEqual(['same-a-3']);
  });

  it('keeps flagged runs with include=flagged, still counting them', async () => {
    const base = rounds('base', 'a', [10e6, 10e6, 10e6, 10e6]);
    const same = rounds('same', 'a', [10e6, 10e6, 10e6, 12e6], { 3: ['busy-system'] });
    const { sut } = setup([cell('base', 'a', base), cell('same', 'a', same)]);

    const c = await sut.compare('s1', undefined, { includeFlagged: true });
    const row = rowOf(c, 'same');

    expect(c.includeFlagged).toBe(true);
    expect(row).toMatchObject({ rounds: 4, replicates: 4, flaggedReplicates: 1, flags: ['busy-system'] });
    expect(row.deltaPct).toBeCloseTo((Math.exp(Math.log(1.2) / 4) - 1) * 100, 1);
    expect(row.runIds).toHaveLength(4);
  });

  it('has no latency and no verdict for a variant whose every run is flagged, and names the flags', async () => {
    const base = rounds('base', 'a', [10e6, 10e6, 10e6]);
    const fast = rounds('fast', 'a', [9e6, 9e6, 9e6], { 0: ['busy-system'], 1: ['busy-system', 'host-slow'], 2: ['busy-system'] });
    const { sut } = setup([cell('base', 'a', base), cell('fast', 'a', fast)]);

    const row = rowOf(await sut.compare('s1'), 'fast');

    expect(row).toMatchObject({
      medianMs: null,
      p90Ms: null,
      ciLowMs: null,
      ciHighMs: null,
      samples: 0,
      replicates: 0,
      flaggedReplicates: 3,
      flags: ['busy-system', 'host-slow'],
      verdict: 'undecided',
      verdictReason: 'no clean replicate: 3 flagged (busy-system, host-slow)',
      deltaPct: null,
      significant: null,
      runIds: [],
    });
  });

  it('is undecided against a baseline whose every run is flagged', async () => {
    const base = rounds('base', 'a', [10e6, 10e6, 10e6], { 0: ['busy-system'], 1: ['busy-system'], 2: ['busy-system'] });
    const fast = rounds('fast', 'a', [9e6, 9e6, 9e6]);
    const { sut } = setup([cell('base', 'a', base), cell('fast', 'a', fast)]);

    const c = await sut.compare('s1');

    expect(rowOf(c, 'fast')).toMatchObject({ medianMs: 9, verdict: 'undecided', verdictReason: 'baseline: no clean replicate: 3 flagged (busy-system)', deltaPct: null });
    expect(rowOf(c, 'base')).toMatchObject({ medianMs: null, verdict: null, deltaMs: null, flaggedReplicates: 3 });
  });

  it('compares runs stored before rounds as independent replicates (Welch)', async () => {
    const legacy = (label: string, medians: number[]) => medians.map((m, i) => run(`${label}-${i}`, null, m));
    const { sut } = setup([cell('base', 'a', legacy('base', [10e6, 10.1e6, 9.9e6])), cell('fast', 'a', legacy('fast', [9e6, 9.1e6, 8.9e6]))]);

    const row = rowOf(await sut.compare('s1'), 'fast');

    expect(row).toMatchObject({ design: 'unpaired', rounds: 3, verdict: 'faster' });
  });

  it('leaves deltas empty on a device where the baseline has no result yet, rather than guessing', async () => {
    const { sut } = setup([cell('base', 'a', rounds('base', 'a', [10e6, 10e6, 10e6])), cell('fast', 'b', rounds('fast', 'b', [9e6, 9e6, 9e6]))]);

    const row = rowOf(await sut.compare('s1'), 'fast', 'b');

    expect(row).toMatchObject({ medianMs: 9, deltaMs: null, deltaPct: null, verdict: null, verdictReason: null, rounds: null, design: null });
  });

  it('lists every variant of the study, measured or not, and the devices in name order', async () => {
    const { sut } = setup([cell('fast', 'b', rounds('fast', 'b', [9e6])), cell('base', 'a', rounds('base', 'a', [10e6]))]);
    const c = await sut.compare('s1');
    expect(c.variants.map((v) => v.label)).toEqual(['fast', 'base', 'same', 'slow', 'never-ran']);
    expect(c.devices.map((d) => d.name)).toEqual(['a', 'b']);
    expect(c.includeFlagged).toBe(false);
    expect(c.noiseTest).toMatch(
      /^paired rounds: t interval of the log ratio of run medians, widened by the device's between-study component, excludes 0 \(95%\); fewer than 3 rounds: undecided/,
    );
  });

  it('asks only for the devices named', async () => {
    const { sut, asked } = setup([cell('fast', 'b', rounds('fast', 'b', [9e6])), cell('base', 'a', rounds('base', 'a', [10e6]))]);
    const c = await sut.compare('s1', ['b']);
    expect(asked).toEqual([['d-b']]);
    expect(c.devices.map((d) => d.name)).toEqual(['b']);
  });

  it('is a not-found error for an unknown study', async () => {
    const { sut } = setup([], { study: false });
    await expect(sut.compare('nope')).rejects.toBeInstanceOf(LatfleetError);
    await expect(sut.compare('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe(resourcesOf.name, () => {
  const res = (loadFirstMs: number, loadWarmMs: number, peakResidentBytes: number) => ({ resources: { loadFirstMs, loadWarmMs, peakResidentBytes } });

  it('gives the medians of the runs that recorded load times and peak memory, and how many did', () => {
    const sut = resourcesOf([res(210, 120, 300e6), { resources: null }, res(190, 100, 280e6), res(400, 110, 310e6)]);

    expect(sut).toEqual({ loadFirstMs: 210, loadWarmMs: 110, peakResidentBytes: 300e6, runs: 3 });
  });

  it('is null when no run recorded them (a runner that does not measure them)', () => {
    expect(resourcesOf([{ resources: null }, { resources: null }])).toBeNull();
  });
});
