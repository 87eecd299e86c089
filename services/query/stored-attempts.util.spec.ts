import { describe, expect, it } from 'vitest';
import { readStoredAttempts, readStoredResources } from './stored-attempts.util.js';

describe(readStoredAttempts.name, () => {
  it('reads each attempt’s number, flags and times', () => {
    const sut = readStoredAttempts({ attempts: [{ attempt: 0, startedAt: 'a', finishedAt: 'b', quality: { flags: ['busy-cpu'], reasons: ['x'] }, timed: {} }] });
    expect(sut).toEqual([{ attempt: 0, flags: ['busy-cpu'], startedAt: 'a', finishedAt: 'b' }]);
  });

  it('falls back to null or no flags field by field, and to no attempts, for reports that lack them', () => {
    expect(readStoredAttempts({ attempts: [{ quality: 'odd' }, 7] })).toEqual([
      { attempt: null, flags: [], startedAt: null, finishedAt: null },
      { attempt: null, flags: [], startedAt: null, finishedAt: null },
    ]);
    for (const report of [null, undefined, {}, { attempts: 'x' }, []]) expect(readStoredAttempts(report)).toEqual([]);
  });
});

describe(readStoredResources.name, () => {
  const stored = { loadFirstMs: 41.2, loadWarmMs: 12.5, peakResidentBytes: 90_000_000, peakResidentSource: 'vmhwm' };

  it('reads the load times and peak memory, and nothing else the report carries', () => {
    expect(readStoredResources({ ...stored, extra: 1 })).toEqual(stored);
  });

  it('gives null for what a runner did not measure or an agent sent malformed', () => {
    for (const value of [null, undefined, 'x', [], {}, { ...stored, loadWarmMs: 'fast' }, { ...stored, peakResidentBytes: null }, { ...stored, peakResidentSource: 'guess' }]) {
      expect(readStoredResources(value)).toBeNull();
    }
  });
});
