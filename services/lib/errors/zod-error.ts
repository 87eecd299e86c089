import type { z } from 'zod';
import { LatfleetError } from './latfleet.error.js';

/** A zod issue's path as a field name: `protocol.timedRuns`, `variants[0].model` (after `prefix`). The one definition. */
export function zodIssuePath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), prefix);
}

/** The first issue of a zod error as a validation error naming the field, e.g. `protocol.timedRuns`. */
export function fromZodError(err: z.ZodError, prefix = ''): LatfleetError {
  const issue = err.issues[0]!;
  const path = zodIssuePath(issue.path, prefix);
  const keys = issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys : [];
  if (keys.length) return LatfleetError.validation(path ? `${path}.${keys[0]}` : keys[0]!, 'unknown field');
  return LatfleetError.validation(path || '(body)', issue.message);
}
