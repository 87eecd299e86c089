import { Injectable, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { fromZodError } from '../lib/errors/index.js';

/** Parses query parameters or a body with a zod schema; a failure is a 400 naming the field. */
@Injectable()
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(readonly schema: S) {}

  transform(value: unknown): z.output<S> {
    const parsed = this.schema.safeParse(value ?? {});
    if (!parsed.success) throw fromZodError(parsed.error);
    return parsed.data;
  }
}
