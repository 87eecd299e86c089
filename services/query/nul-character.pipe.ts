import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { rejectNulCharacters } from '../lib/errors/index.js';

/**
 * Every path parameter, query parameter and body, before any other pipe: a NUL character cannot
 * reach Postgres (text and jsonb refuse it), so it is a 400 naming the parameter, here, once.
 */
@Injectable()
export class NulCharacterPipe implements PipeTransform {
  transform(value: unknown, meta: ArgumentMetadata): unknown {
    if (meta.type === 'custom') return value;
    rejectNulCharacters(value, meta.type === 'body' ? '' : (meta.data ?? ''));
    return value;
  }
}
