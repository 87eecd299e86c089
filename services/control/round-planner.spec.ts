import { describe, expect, it } from 'vitest';
import { precisions } from './round-planner.js';

const halfWidths = (runs: Parameters<typeof precisions>[0]) => precisions(runs, new Map()).map((p) => p.halfWidthPct);

const run = (variantId: string, round: number, medianNs: number, o: { baseline?: boolean; flagged?: boolean; deviceId?: string } = {}) => ({
  variantId,
  deviceId: o.deviceId ?? 'd1',
  round,
  medianNs: String(medianNs),
  baseline: o.baseline ?? variantId === 'base',
  flagged: o.flagged ?? false,
});

describe(precisions.name, () => {
  it('gives each variant’s CI half-width of Δ% against the baseline on the same device, from clean runs', () => {
    const runs = [0, 1, 2, 3].flatMap((r) => [run('base', r, 100), run('a', r, [102, 101, 103, 102][r]!), run('b', r, 90, { flagged: r === 3 })]);
    const [a, b] = halfWidths(runs);
    expect(a).toBeGreaterThan(0);
    expect(a).toBeLessThan(3);
    expect(b).toBe(0); // three clean rounds of exactly −10%
  });

  it('is undecided (null) for a variant without a clean run, or with too few rounds', () => {
    const runs = [run('base', 0, 100), run('base', 1, 100), run('a', 0, 101, { flagged: true }), run('a', 1, 102, { flagged: true }), run('b', 0, 100), run('b', 1, 99)];
    expect(halfWidths(runs)).toEqual([null, null]);
  });

  it('compares on each device separately', () => {
    const runs = ['d1', 'd2'].flatMap((deviceId) => [0, 1, 2].flatMap((r) => [run('base', r, 100, { deviceId }), run('a', r, 110, { deviceId })]));
    expect(halfWidths(runs)).toEqual([0, 0]);
  });

  it('gives the half-width in points of Δ%, and the floor the device’s between-study component puts under it', () => {
    // +95%, exactly: no scatter between rounds, so all of the width is the between-study term
    const runs = [0, 1, 2].flatMap((r) => [run('base', r, 100), run('a', r, 195)]);
    const [p] = precisions(runs, new Map([['d1', { sd: 0.003, relative: 0 }]]));
    const t2 = 4.302652729749464; // t(0.975, 2)
    expect(p!.halfWidthPct).toBeCloseTo(195 * Math.sinh(t2 * 0.003), 6); // ≈ 2.52 points: 1.95 × the relative half-width
    // the floor is what many rounds would leave (the normal quantile), so three rounds are not yet at it
    expect(p!.floorPct).toBeCloseTo(195 * Math.sinh(1.959964 * 0.003), 5);
    expect(p!.halfWidthPct).toBeGreaterThan(Math.SQRT2 * p!.floorPct);
  });

  it('for a speed-up, asks for the minimum detectable effect (relative to the baseline) as well as the points of Δ%', () => {
    // −10%, exactly: the ratio interval is ±h in log space; Δ% reads ±0.9·sinh(h) points, the MDE e^h − 1, which is wider
    const runs = [0, 1, 2].flatMap((r) => [run('base', r, 100), run('a', r, 90)]);
    const [p] = precisions(runs, new Map([['d1', { sd: 0.003, relative: 0 }]]));
    const h = 4.302652729749464 * 0.003; // t(0.975, 2) × τ
    expect(p!.halfWidthPct).toBeCloseTo(Math.expm1(h) * 100, 6);
    expect(p!.halfWidthPct).toBeGreaterThan(90 * Math.sinh(h));
    expect(p!.floorPct).toBeCloseTo(Math.expm1(1.959964 * 0.003) * 100, 5);
  });

  it('puts a higher floor under a large difference: the between-study part that grows with the log ratio', () => {
    const runs = [0, 1, 2].flatMap((r) => [run('base', r, 100), run('a', r, 195)]);
    const [p] = precisions(runs, new Map([['d1', { sd: 0.003, relative: 0.01 }]]));
    const tau = Math.hypot(0.003, 0.01 * Math.log(1.95)); // 0.0075: 0.3% and 1% of a log ratio of 0.67
    expect(p!.floorPct).toBeCloseTo(195 * Math.sinh(1.959964 * tau), 5);
    expect(p!.halfWidthPct).toBeCloseTo(195 * Math.sinh(4.302652729749464 * tau), 5);
  });
});
