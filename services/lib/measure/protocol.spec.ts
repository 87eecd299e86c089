import { describe, expect, it } from 'vitest';
import { DEFAULT_PROTOCOL, DEFAULT_TIMED_MAX_RUNS, protocolSchema, resolveProtocol, timedMaxRuns } from './protocol.js';

describe('protocolSchema', () => {
  it('keeps the original fields and defaults', () => {
    expect(DEFAULT_PROTOCOL).toMatchObject({ warmupRuns: 10, timedRuns: 100, profiledRuns: 20, graphOptimizationLevel: 'all' });
  });

  it('defaults the newer fields so that a spec runs exactly timedRuns timed runs', () => {
    expect(DEFAULT_PROTOCOL).toMatchObject({ timedMinSeconds: 0, targetCiFraction: 0, cooldownMs: 0, maxRetries: 2 });
    expect(timedMaxRuns(DEFAULT_PROTOCOL)).toBe(DEFAULT_TIMED_MAX_RUNS);
  });

  it('checks the host’s speed by default', () => {
    expect(DEFAULT_PROTOCOL).toMatchObject({ maxHostSpeedChange: 0.1, maxHostSlowdown: 0.15 });
  });

  it('parses an older spec unchanged', () => {
    expect(protocolSchema.parse({ warmupRuns: 5, timedRuns: 50 })).toMatchObject({ warmupRuns: 5, timedRuns: 50, profiledRuns: 20 });
  });

  it('accepts every new field', () => {
    const input = {
      warmupMinSeconds: 1,
      timedMinSeconds: 2,
      timedMaxRuns: 5000,
      cooldownMs: 10,
      targetCiFraction: 0.005,
      maxFrequencyDrop: 0.05,
      maxTemperatureRiseC: 5,
      maxLoadPerCore: 0.25,
      minCpuShare: 0.95,
      maxRetries: 3,
      retryCooldownMs: 10_000,
      maxHostSpeedChange: 0.2,
      maxHostSlowdown: 0,
    };
    expect(protocolSchema.parse(input)).toMatchObject(input);
  });

  it.each([
    [{ colour: 'red' }, ['colour'], 'unrecognized_keys'],
    [{ timedRuns: 0 }, ['timedRuns'], 'too_small'],
    [{ targetCiFraction: 2 }, ['targetCiFraction'], 'too_big'],
    [{ timedRuns: 500, timedMaxRuns: 100 }, ['timedMaxRuns'], 'custom'],
    [{ graphOptimizationLevel: 'max' }, ['graphOptimizationLevel'], 'invalid_value'],
    [{ cooldownMs: -1 }, ['cooldownMs'], 'too_small'],
  ])('rejects %j at %j', (input, path, code) => {
    const sut = protocolSchema.safeParse(input);

    expect(sut.success).toBe(false);
    expect(sut.error!.issues[0]).toMatchObject({ code, ...(code === 'unrecognized_keys' ? {} : { path }) });
  });
});

describe(resolveProtocol.name, () => {
  it('takes a wire protocol, ignoring the fields it does not know, an empty level and a zero cap', () => {
    const sut = resolveProtocol({ warmupRuns: 2, timedRuns: 25, profiledRuns: 3, graphOptimizationLevel: '', intraOpThreads: 1, interOpThreads: 1, timedMaxRuns: 0 });

    expect(sut).toMatchObject({ warmupRuns: 2, timedRuns: 25, profiledRuns: 3, graphOptimizationLevel: 'all', maxRetries: 2 });
    expect(sut.timedMaxRuns).toBeUndefined();
  });

  it('fills everything from nothing', () => {
    expect(resolveProtocol(undefined)).toEqual(DEFAULT_PROTOCOL);
  });

  it('names the bad field', () => {
    expect(() => resolveProtocol({ timedRuns: -3 })).toThrow(/^protocol\.timedRuns: /);
  });
});
