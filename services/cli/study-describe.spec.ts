import { describe, expect, it } from 'vitest';
import { DEFAULT_PROTOCOL } from '../lib/measure/protocol.js';
import { builtinStudy, describeVariant, parseStudySpec } from '../lib/models/index.js';
import { collapsedNote, ESTIMATE_MS_PER_GMADD, ESTIMATE_PROFILING_FACTOR, ESTIMATE_SESSION_SECONDS, planStudy, renderStudyPlan, roundSecondsOf } from './study-describe.js';

const plan = (input: unknown) => planStudy(parseStudySpec(input));

describe(planStudy.name, () => {
  it('says which axis combinations build the same graph (mbv3-hswish-placement: 8 -> 7)', () => {
    const sut = plan(builtinStudy('mbv3-hswish-placement'));

    expect(sut.combinations).toBe(8);
    expect(sut.variants).toHaveLength(7);
    expect(sut.collapsed).toEqual([{ label: 'activation=relu,hswishImpl=decomposed', sameAs: 'activation=relu,hswishImpl=fused' }]);
    expect(renderStudyPlan(sut)).toContain(
      '8 combinations → 7 variants; 1 builds the same graph as another and is measured once:\n  activation=relu,hswishImpl=decomposed = activation=relu,hswishImpl=fused\n',
    );
  });

  it('lists every variant with its MAdds, params and the baseline', () => {
    const sut = plan(builtinStudy('demo'));

    expect(sut.variants.map((v) => [v.label, v.baseline])).toEqual([
      ['relu', false],
      ['paper', true],
      ['hswish', false],
    ]);
    expect(sut.variants[1]).toMatchObject({
      name: 'mobilenetv3-large-1.0',
      madds: describeVariant('mobilenetv3-large-1.0').madds,
      params: describeVariant('mobilenetv3-large-1.0').params,
    });
    expect(sut.variants[1]!.estimatedMs).toBeCloseTo((describeVariant('mobilenetv3-large-1.0').madds / 1e9) * ESTIMATE_MS_PER_GMADD, 9);
    // the rate is the development VM's: 4.3 ms for this network (README)
    expect(sut.variants[1]!.estimatedMs).toBeCloseTo(4.3, 1);
  });

  it('counts jobs and device time from replicates to maxReplicates rounds', () => {
    const sut = plan(builtinStudy('demo'));
    const perRound = sut.variants.reduce((s, v) => s + roundSecondsOf(v.estimatedMs, DEFAULT_PROTOCOL), 0);

    expect(sut.rounds).toEqual({ min: 3, max: 30 });
    expect(sut.jobs).toEqual({ min: 9, max: 90 });
    expect(sut.seconds.min).toBeCloseTo(3 * perRound, 9);
    // the demo's 90 s budget: no round starts after it, the one running finishes
    expect(sut.seconds.max).toBeCloseTo(Math.ceil(90 / perRound) * perRound, 9);
    // the demo measured 30.1 s for 7 rounds on the development VM (README)
    expect(7 * perRound).toBeGreaterThan(27);
    expect(7 * perRound).toBeLessThan(33);
    expect(sut.eachDevice).toBe(false);
  });

  it('runs exactly `replicates` rounds without a precision target, on each device when asked', () => {
    const sut = plan({ name: 's', base: 'mobilenetv2-1.0', axes: { resolution: [160, 224] }, protocol: { replicates: 4, targetHalfWidthPct: 0 }, devices: { each: true } });

    expect(sut.rounds).toEqual({ min: 4, max: 4 });
    expect(sut.jobs).toEqual({ min: 8, max: 8 });
    expect(sut.eachDevice).toBe(true);
    expect(renderStudyPlan(sut)).toContain('jobs: 8 (2 variants × 4 rounds) on each matching device');
  });

  it('caps the device time at the budget plus the round that started before it ran out', () => {
    const sut = plan({ name: 's', base: 'mobilenetv2-1.0', protocol: { budgetSeconds: 5, maxReplicates: 100 } });
    const perRound = roundSecondsOf(sut.variants[0]!.estimatedMs, sut.protocol);

    expect(sut.seconds.max).toBeCloseTo(Math.ceil(5 / perRound) * perRound, 9);
  });

  it('times a variant as the protocol runs it: session, warm-up (at least its minimum), timed and profiled runs', () => {
    const sut = roundSecondsOf(4, { ...DEFAULT_PROTOCOL, warmupRuns: 10, warmupMinSeconds: 0.5, timedRuns: 100, timedMinSeconds: 2, profiledRuns: 20 });

    expect(sut).toBeCloseTo(ESTIMATE_SESSION_SECONDS + 0.5 + 2 + 20 * 0.004 * ESTIMATE_PROFILING_FACTOR, 9);
  });

  it('notes the merged combinations of a created study', () => {
    const sut = collapsedNote(parseStudySpec(builtinStudy('mbv3-hswish-placement')));

    expect(sut).toBe(' (1 more combination builds the same graph: activation=relu,hswishImpl=decomposed = activation=relu,hswishImpl=fused)');
    expect(collapsedNote(parseStudySpec(builtinStudy('demo')))).toBe('');
  });
});
