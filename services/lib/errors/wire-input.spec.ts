import { describe, expect, it } from 'vitest';
import { ErrorCode } from './latfleet.error.js';
import { nulCharacterPath, rejectNulCharacters } from './wire-input.js';

describe(nulCharacterPath.name, () => {
  it('names the first string holding a NUL character, in nested objects and arrays', () => {
    expect(nulCharacterPath({ a: 'ok', b: [{ c: 'ok' }, { c: 'x\0' }] }, 'body')).toBe('body.b[1].c');
    expect(nulCharacterPath('a\0', 'ref')).toBe('ref');
  });

  it('names a key holding a NUL character, the NUL shown escaped', () => {
    expect(nulCharacterPath({ tags: { 'a\0b': 'x' } }, '')).toBe('tags.a\\0b');
  });

  it('names a string or key holding an unpaired surrogate, which json and jsonb refuse, and passes paired ones', () => {
    expect(nulCharacterPath({ description: '\ud800' }, '')).toBe('description');
    expect(nulCharacterPath({ tags: { ['a\udfff']: 'x' } }, 'facts')).toBe('facts.tags.a\\udfff');
    expect(nulCharacterPath({ description: 'emoji 😀 ok' }, '')).toBeNull();
  });

  it('finds nothing in clean values, numbers and bytes', () => {
    expect(nulCharacterPath({ a: 1, b: [true, null, 'x'], c: new Uint8Array([0]) }, 'body')).toBeNull();
  });

  it('walks a value nested a hundred thousand deep without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}"\\u0000"${']'.repeat(100_000)}`);

    expect(nulCharacterPath(deep, 'r')).toMatch(/^r(\[0\]){100000}$/);
  });
});

describe(rejectNulCharacters.name, () => {
  it('throws a validation error naming the field', () => {
    expect(() => rejectNulCharacters({ name: 'a\0' }, 'facts')).toThrow(expect.objectContaining({ code: ErrorCode.ValidationFailed, field: 'facts.name' }));
  });
});
