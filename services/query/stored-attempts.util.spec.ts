import { describe, expect, it } from 'vitest';
import { readStoredAttempts } from './stored-attempts.util.js';

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
