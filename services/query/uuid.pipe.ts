import { Injectable, type PipeTransform } from '@nestjs/common';
import { LatfleetError, UUID_PATTERN } from '../lib/errors/index.js';

/** Ids are UUIDs: anything else cannot name a stored row, so it is a 404 like any unknown id. */
@Injectable()
export class IdPipe implements PipeTransform<string, string> {
  constructor(private readonly what: string) {}

  transform(value: string): string {
    if (!UUID_PATTERN.test(value)) throw LatfleetError.notFound(this.what, value);
    return value.toLowerCase();
  }
}
