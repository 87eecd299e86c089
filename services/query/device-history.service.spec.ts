import { describe, expect, it } from 'vitest';
import { modelHistory } from './device-history.service.js';
import type { RunSamples } from './run.repository.js';

let minute = 0;
const run = (runtimeVersion: string, centerMs: number): RunSamples => ({
  id: `r${minute}`, deviceId: 'd', deviceName: 'pixel', deviceClass: 'phone', model: 'm', sha256: 's', runtimeVersion, agentVersion: '1',
  createdAt: new Date(Date.UTC(2026, 0, 1, 0, minute++)),
  samplesNs: Array.from({ length: 50 }, (_, i) => centerMs * 1e6 * (1 + 0.02 * ((i * 7) % 50) / 50)),
});

describe(modelHistory.name, () => {
  it('cuts the runs into segments of one version pair, in time order, even when a version comes back', () => {
    const sut = modelHistory('m', [run('1.0', 5), run('1.0', 5), run('1.1', 5), run('1.0', 5)]);
    expect(sut.segments.map((s) => [s.runtimeVersion, s.runs])).toEqual([['1.0', 2], ['1.1', 1], ['1.0', 1]]);
    expect(sut.segments.map((s) => s.vsHistory?.verdict ?? null)).toEqual([null, 'within noise', 'within noise']);
    expect(sut.regression).toBe(false);
  });

  it('flags a segment slower than all earlier ones pooled; an improvement is no regression', () => {
    const sut = modelHistory('m', [run('1.0', 5), run('1.1', 5.5), run('1.2', 4.5)]);
    expect(sut.segments.map((s) => [s.vsHistory?.verdict ?? null, s.regression])).toEqual([[null, false], ['slower', true], ['faster', false]]);
    expect(sut.segments[1]!.vsHistory!.deltaPct).toBeCloseTo(10, 0);
    expect(sut.regression).toBe(false);
  });

  it('says the model regressed when its latest segment did', () => {
    expect(modelHistory('m', [run('1.0', 5), run('2.0', 6)]).regression).toBe(true);
  });
});
