import { describe, expect, it } from 'vitest';
import { agentText, MAX_AGENT_TEXT } from './agent-text.js';

describe(agentText.name, () => {
  it('turns newlines, escapes and other control characters into spaces, so the text stays on one log line', () => {
    const sut = agentText('measuring\n[Nest] 1 - LOG [JobService] job x completed\r\u001b[2K\u2028\u202e');

    expect(sut).toBe('measuring [Nest] 1 - LOG [JobService] job x completed  [2K  ');
  });

  it('cuts a long text to the limit and says how long it was', () => {
    const sut = agentText('x'.repeat(1_000_000));

    expect(sut.startsWith('x'.repeat(MAX_AGENT_TEXT))).toBe(true);
    expect(sut).toMatch(/… \(1000000 characters\)$/);
    expect(sut.length).toBeLessThan(MAX_AGENT_TEXT + 40);
  });

  it('leaves ordinary text as it is', () => {
    expect(agentText('retry 2/3: busy-system (µs, ü)')).toBe('retry 2/3: busy-system (µs, ü)');
  });
});
