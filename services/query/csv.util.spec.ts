import { describe, expect, it } from 'vitest';
import { toCsv } from './csv.util.js';

describe(toCsv.name, () => {
  it('quotes cells with commas, quotes or line breaks, and leaves null cells empty', () => {
    const sut = toCsv(['variant', 'note', 'ms'], [['h-swish, fused', 'say "hi"', 3.5], ['relu', null, undefined]]);
    expect(sut).toBe('variant,note,ms\r\n"h-swish, fused","say ""hi""",3.5\r\nrelu,,\r\n');
  });
});
