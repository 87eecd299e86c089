import { describe, expect, it } from 'vitest';
import { nsToMs, roundMs } from './units.js';

describe(roundMs.name, () => {
  it('rounds milliseconds to microseconds by default, to other decimals when asked', () => {
    expect(roundMs(48.26114)).toBe(48.261);
    expect(roundMs(1.9075)).toBe(1.908);
    expect(roundMs(48.26114, 1)).toBe(48.3);
  });
});

describe(nsToMs.name, () => {
  it('turns nanoseconds into milliseconds rounded to microseconds', () => {
    expect(nsToMs(4_123_456)).toBe(4.123);
    expect(nsToMs(4_123_456, 6)).toBe(4.123456);
  });
});
