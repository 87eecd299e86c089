/** Longest text of an agent's that control logs or stores (status lines, failure reasons). */
export const MAX_AGENT_TEXT = 500;

// C0 and C1 controls, DEL, line and paragraph separators, and bidirectional overrides: whatever could
// start a forged log line or make one read differently from what it holds.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Text an agent sent, fit for one log line or a stored message: control characters become spaces; cut to `max` characters. */
export function agentText(text: string, max = MAX_AGENT_TEXT): string {
  const cut = text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
  return cut.replace(UNSAFE, ' ');
}
