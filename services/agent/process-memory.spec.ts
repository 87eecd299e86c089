import { describe, expect, it } from 'vitest';
import { peakResidentBytes, resetPeakResident } from './process-memory.js';

const MB = 2 ** 20;

describe(peakResidentBytes.name, () => {
  it('reads the process’s peak resident memory, which a reset brings back to what it holds now', () => {
    const source = resetPeakResident();
    const before = peakResidentBytes();
    const held = Buffer.alloc(64 * MB, 1);

    const after = peakResidentBytes();

    expect(source).toBe(process.platform === 'linux' ? 'vmhwm' : 'process-lifetime');
    expect(after - before).toBeGreaterThanOrEqual(60 * MB);
    expect(held.length).toBe(64 * MB);
  });
});
