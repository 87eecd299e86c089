import type { EntityManager } from 'typeorm';

/**
 * Rows of an `UPDATE … RETURNING` or `DELETE … RETURNING`: TypeORM's postgres driver answers those
 * with `[rows, rowCount]` instead of the rows alone.
 */
export async function updateReturning<T>(m: EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  const raw = await m.query(sql, params);
  return (Array.isArray(raw) && Array.isArray(raw[0]) ? raw[0] : raw) as T[];
}
