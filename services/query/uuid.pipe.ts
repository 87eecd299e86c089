import { Injectable, type PipeTransform } from '@nestjs/common';
import { LatfleetError } from '../lib/errors/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs: anything else cannot name a stored row, so it is a 404 like any unknown id. */
@Injectable()
export class IdPipe implements PipeTransform<string, string> {
  constructor(private readonly what: string) {}

  transform(value: string): string {
    if (!UUID.test(value)) throw LatfleetError.notFound(this.what, value);
    return value.toLowerCase();
  }
}
