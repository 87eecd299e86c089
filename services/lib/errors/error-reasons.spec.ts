import { readFileSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ERROR_CLASSES } from './error-classes.js';
import { ERROR_REASONS, type ErrorReason } from './latfleet.error.js';

/** The README's table of error reasons, as the code defines them. */
export function errorReasonTable(): string {
  const rows = (Object.keys(ERROR_REASONS) as ErrorReason[]).map((reason) => {
    const r = ERROR_REASONS[reason];
    const c = ERROR_CLASSES[r.code];
    return `| \`${reason}\` | \`${r.code}\` | ${c.http} | ${status[c.grpc]} | ${r.description} |`;
  });
  return ['| reason | code (class) | HTTP | gRPC status | when |', '|---|---|---|---|---|', ...rows].join('\n');
}

describe('error reasons', () => {
  it('are listed in the README exactly as the code defines them', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(errorReasonTable());
  });
});
