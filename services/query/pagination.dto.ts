import { z } from 'zod';
import { UUID_PATTERN } from '../lib/errors/index.js';

/** `?device=a,b` or `?device=a&device=b`: a list of names or ids, without duplicates. */
export const listParam = z.union([z.string(), z.array(z.string())]).transform((v) => [
  ...new Set(
    (Array.isArray(v) ? v : [v])
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean),
  ),
]);

export const uuidParam = z
  .string()
  .regex(UUID_PATTERN, 'expected a UUID')
  .transform((s) => s.toLowerCase());

export { OPTIMIZATION_LEVELS } from '../lib/measure/index.js';

export const pagination = (defaultLimit = 50) => ({
  limit: z.coerce.number().int().min(1).max(500).default(defaultLimit).describe('page size (1..500)'),
  offset: z.coerce.number().int().min(0).max(1e9).default(0).describe('items to skip'),
});

export interface Page<T> {
  items: T[];
  limit: number;
  offset: number;
  /** items matching the filters, over all pages */
  total: number;
}
