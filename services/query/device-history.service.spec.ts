import { describe, expect, it } from 'vitest';
import { modelHistory } from './device-history.service.js';
import type { RunSamples } from './run.repository.js';

let minute = 0;
/** One run of 50 iterations spread 2% above `centerMs`; `round` as stored (history ignores it). */
const run = (runtimeVersion: string, centerMs: number, o: { flags?: string[]; round?: number } = {}): RunSamples => ({
  id: `r${minute}`,
  deviceId: 'd',
  deviceName: 'pixel',
  deviceClass: 'phone',
  model: 'm',
  sha256: 's',
  runtimeVersion,
  agentVersion: '1',
  createdAt: new Date(Date.UTC(2026, 0, 1, 0, minute++)),
  round: o.round ?? null,
  flagged: o.flags !== undefined,
  flags: o.flags ?? [],
  sortedNs: Array.from({ length: 50 }, (_, i) => centerMs * 1e6 * (1 + (0.02 * i) / 50)),
});
/** Three runs of one version around `centerMs` (±0.2% between runs). */
const three = (runtimeVersion: string, centerMs: number) => [1, 1.002, 0.998].map((f) => run(runtimeVersion, centerMs * f));

describe(modelHistory.name, () => {
  it('cuts the runs into segments of one version pair, in time order, even when a version comes back', () => {
    const sut = modelHistory('m', [...three('1.0', 5), ...three('1.1', 5), ...three('1.0', 5)]);
    expect(sut.segments.map((s) => [s.runtimeVersion, s.runs, s.replicates])).toEqual([
      ['1.0', 3, 3],
      ['1.1', 3, 3],
      ['1.0', 3, 3],
    ]);
    expect(sut.segments.map((s) => s.vsHistory?.verdict ?? null)).toEqual([null, 'within noise', 'within noise']);
    expect(sut.segments[1]!.vsHistory).toMatchObject({ design: 'unpaired', rounds: 3 });
    expect(sut.regression).toBe(false);
  });

  it('flags a segment slower than all earlier ones; an improvement is no regression', () => {
    const sut = modelHistory('m', [...three('1.0', 5), ...three('1.1', 5.5), ...three('1.2', 4.5)]);
    expect(sut.segments.map((s) => [s.vsHistory?.verdict ?? null, s.regression])).toEqual([
      [null, false],
      ['slower', true],
      ['faster', false],
    ]);
    expect(sut.segments[1]!.vsHistory!.deltaPct).toBeCloseTo(10, 0);
    expect(sut.regression).toBe(false);
  });

  it('takes each run as a replicate: one slow run is too few to call a regression', () => {
    const sut = modelHistory('m', [...three('1.0', 5), run('2.0', 6)]);
    expect(sut.segments[1]!.vsHistory).toMatchObject({ verdict: 'undecided', verdictReason: '1 replicate on the smaller side: a verdict needs at least 3' });
    expect(sut.segments[1]).toMatchObject({ regression: false, ciLowMs: null, replicates: 1 });
    expect(sut.regression).toBe(false);
  });

  it('says the model regressed when its latest segment did', () => {
    expect(modelHistory('m', [...three('1.0', 5), ...three('2.0', 6)]).regression).toBe(true);
  });

  it('compares runs of different studies as independent replicates, whatever their rounds', () => {
    const sut = modelHistory('m', [...three('1.0', 5).map((r, i) => ({ ...r, round: i })), ...three('1.1', 5.5).map((r, i) => ({ ...r, round: i }))]);
    expect(sut.segments[1]!.vsHistory).toMatchObject({ design: 'unpaired', verdict: 'slower' });
  });

  it('leaves flagged runs out of the figures and the history, and counts them', () => {
    const sut = modelHistory('m', [...three('1.0', 5), run('1.0', 9, { flags: ['busy-system'] }), ...three('1.1', 5)]);
    expect(sut.segments[0]).toMatchObject({ runs: 4, replicates: 3, flaggedReplicates: 1, flags: ['busy-system'] });
    expect(sut.segments[0]!.medianMs).toBeCloseTo(5.05, 2);
    expect(sut.segments[1]!.vsHistory).toMatchObject({ verdict: 'within noise' });
  });

  it('has no latency and no verdict for a segment whose every run is flagged', () => {
    const sut = modelHistory('m', [...three('1.0', 5), run('1.1', 9, { flags: ['busy-system'] })]);
    expect(sut.segments[1]).toMatchObject({ medianMs: null, replicates: 0, flaggedReplicates: 1, regression: false });
    expect(sut.segments[1]!.vsHistory).toMatchObject({ verdict: 'undecided', verdictReason: 'no clean replicate: 1 flagged (busy-system)' });
  });
});
