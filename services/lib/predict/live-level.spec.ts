import { describe, expect, it } from 'vitest';
import { LIVE_LEVEL_RUNS, liveLevel, MIN_LIVE_LEVEL_RUNS } from './live-level.js';

const run = (predictedNs: number, measuredNs: number) => ({ predictedNs, measuredNs });

describe(liveLevel.name, () => {
  it('without runs since training: factor 1, not applied, no error figures', () => {
    expect(liveLevel([])).toEqual({ runs: 0, factor: 1, applied: false, medianErrorPct: null, within5Pct: null, within10Pct: null });
  });

  it('reads the median ratio of measured to predicted, and the trained error before scaling', () => {
    // the host got 6% slower after training; one run was disturbed (+40%)
    const runs = [run(10e6, 10.6e6), run(5e6, 5.3e6), run(20e6, 21.2e6), run(8e6, 8.48e6), run(4e6, 5.6e6), run(12e6, 12.72e6)];
    const sut = liveLevel(runs);
    expect(sut).toMatchObject({ runs: 6, applied: true, factor: 1.06, within5Pct: 0, within10Pct: 83.33 });
    expect(sut.medianErrorPct).toBeCloseTo(-5.66, 2);
  });

  it(`applies the level only from ${MIN_LIVE_LEVEL_RUNS} runs on`, () => {
    const few = Array.from({ length: MIN_LIVE_LEVEL_RUNS - 1 }, () => run(10e6, 11e6));
    expect(liveLevel(few)).toMatchObject({ runs: MIN_LIVE_LEVEL_RUNS - 1, factor: 1.1, applied: false });
    expect(liveLevel([...few, run(10e6, 11e6)])).toMatchObject({ runs: MIN_LIVE_LEVEL_RUNS, applied: true });
  });

  it(`follows the newest ${LIVE_LEVEL_RUNS} runs: a level that moved back is followed`, () => {
    const before = Array.from({ length: 30 }, () => run(10e6, 12e6));
    const after = Array.from({ length: LIVE_LEVEL_RUNS }, () => run(10e6, 10e6));
    expect(liveLevel([...before, ...after])).toMatchObject({ runs: LIVE_LEVEL_RUNS, factor: 1, medianErrorPct: 0, within5Pct: 100 });
    expect(liveLevel([...before, ...after.slice(0, LIVE_LEVEL_RUNS / 2 - 1)]).factor).toBe(1.2);
  });

  it('ignores runs without a usable time', () => {
    expect(liveLevel([run(0, 1e6), run(1e6, Number.NaN), run(1e6, 1.1e6)])).toMatchObject({ runs: 1, factor: 1.1 });
  });
});
