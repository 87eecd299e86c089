import { describe, expect, it } from 'vitest';
import { LatfleetError } from '../lib/errors/index.js';
import { rewardQuery } from './study.dto.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

const errorOf = (fn: () => unknown): LatfleetError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof LatfleetError) return error;
    throw error;
  }
  throw new Error('expected a LatfleetError');
};

describe('rewardQuery', () => {
  const sut = new ZodValidationPipe(rewardQuery);

  it.each([
    [{}, 'expected the latency target T in milliseconds, e.g. target=75'],
    [{ target: 'fast' }, 'expected the latency target T in milliseconds, e.g. target=75'],
    [{ target: '-1' }, 'expected a positive number of milliseconds'],
    [{ target: '0' }, 'expected a positive number of milliseconds'],
  ])('refuses %j with a message that says what target is', (query, message) => {
    const error = errorOf(() => sut.transform(query));

    expect(error.field).toBe('target');
    expect(error.message).toContain(message);
    expect(error.message).not.toContain('NaN');
  });

  it('takes the target in milliseconds', () => {
    expect(sut.transform({ target: '75' })).toMatchObject({ target: 75, constraint: 'soft' });
  });
});
