import { z } from 'zod';

/** A new enrollment token: its name and how long it lasts (null: until revoked). */
export const createEnrollmentTokenBody = z
  .object({
    name: z.string().min(1).max(100).default('agents'),
    ttlHours: z
      .number()
      .positive()
      .max(24 * 365)
      .nullable()
      .default(24)
      .describe('hours until it expires; null: never'),
  })
  .strict();
