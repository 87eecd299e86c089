import { LatfleetError } from './latfleet.error.js';

/** Ids are UUIDs (any version); anything else names no stored row and must not reach a uuid column. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Largest value of a Postgres `int` column: counts and indices above it cannot be stored. */
export const PG_INT_MAX = 2 ** 31 - 1;

interface Visit {
  value: unknown;
  key: string | number | null;
  parent: Visit | null;
}

function pathOf(visit: Visit, root: string): string {
  const keys: Array<string | number> = [];
  for (let v: Visit | null = visit; v && v.key !== null; v = v.parent) keys.push(v.key);
  const path = keys.reverse().reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), root);
  // the path names a key that may itself hold the character: shown escaped, it can be stored and sent back
  return path.replace(UNSTORABLE_GLOBAL, (c) => (c === '\0' ? '\\0' : `\\u${c.charCodeAt(0).toString(16)}`));
}

/**
 * Characters Postgres refuses: NUL in text and jsonb, and an unpaired UTF-16 surrogate (not Unicode:
 * JSON.stringify writes it as `\ud800`, which json and jsonb reject; a JSON body can carry one).
 */
const UNSTORABLE = /\0|\p{Cs}/u;
const UNSTORABLE_GLOBAL = /\0|\p{Cs}/gu;

/**
 * The path of the first string (or object key) inside `value` holding a NUL character or an unpaired
 * surrogate, which Postgres cannot store in text or jsonb; null when there is none. Paths read `facts.tags.lab`.
 * Walks without recursion and builds the path only when found: a deeply nested body costs little.
 */
export function nulCharacterPath(value: unknown, root: string): string | null {
  const pending: Visit[] = [{ value, key: null, parent: null }];
  while (pending.length > 0) {
    const visit = pending.pop()!;
    const v = visit.value;
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) return pathOf(visit, root);
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) pending.push({ value: v[i], key: i, parent: visit });
    } else if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v)) {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, inner] = entries[i]!;
        const child = { value: inner, key, parent: visit };
        if (UNSTORABLE.test(key)) return pathOf(child, root);
        pending.push(child);
      }
    }
  }
  return null;
}

/**
 * Throws a validation error naming the field when `value` holds a NUL character (or an unpaired
 * surrogate, which Postgres refuses as well) anywhere.
 */
export function rejectNulCharacters(value: unknown, field: string): void {
  const at = nulCharacterPath(value, field);
  if (at !== null) throw LatfleetError.validation(at || '(body)', 'contains a NUL character or an unpaired UTF-16 surrogate (not Unicode text)');
}
