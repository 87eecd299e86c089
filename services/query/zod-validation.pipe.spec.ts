import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LatfleetError } from '../lib/errors/index.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

describe(ZodValidationPipe.name, () => {
  const sut = new ZodValidationPipe(z.object({ limit: z.coerce.number().int().min(1).default(50), nested: z.object({ n: z.number() }).optional() }).strict());

  it('returns the parsed value with defaults', () => {
    expect(sut.transform({ limit: '7' })).toEqual({ limit: 7 });
    expect(sut.transform(undefined)).toEqual({ limit: 50 });
  });

  it.each([
    [{ limit: 'x' }, 'limit'],
    [{ colour: 'blue' }, 'colour'],
    [{ nested: { n: 'one' } }, 'nested.n'],
  ])('rejects %j naming %s', (input, field) => {
    expect(() => sut.transform(input)).toThrow(LatfleetError);
    try {
      sut.transform(input);
    } catch (e) {
      expect((e as LatfleetError).field).toBe(field);
    }
  });
});
