import fc from 'fast-check';

/** Strings that broke or might break a boundary: NUL, control characters, paths, huge, SQL-ish, unicode. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    '\u0000',
    'a\u0000b',
    '../',
    '../../etc/passwd',
    '..%2F..%2F',
    '%00',
    '%',
    '%%',
    '%zz',
    "'; DROP TABLE runs; --",
    '$1',
    '\\',
    '"',
    '\ud800',
    '\udfff',
    '😀',
    'Ω≈ç√',
    '\u202e',
    '\r\n',
    ' ',
    'null',
    'undefined',
    'NaN',
    '-1',
    '0',
    '1e309',
    '9'.repeat(40),
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '__proto__',
    'constructor',
    'toString',
    'a'.repeat(10_000),
    'é'.repeat(3_000),
    '[object Object]',
    '{}',
    '[]',
    'true',
  ),
);

/** Numbers at and past every boundary a field might have (32/53/64 bits, sign, fractions, non-finite). */
export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    0.5,
    2 ** 31 - 1,
    2 ** 31,
    -(2 ** 31),
    2 ** 32 - 1,
    2 ** 32,
    2 ** 53 - 1,
    2 ** 53,
    -(2 ** 53),
    2 ** 63,
    2 ** 64,
    1e308,
    -1e308,
    Number.MIN_VALUE,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
  ),
);

/** Any JSON-ish value, nasty leaves included. */
export const nastyValue: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nastyString,
    nastyNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(nastyString, tie('v'), { maxKeys: 4 }),
  ),
})).v;

type Path = Array<string | number>;

function leaves(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  if (value !== null && typeof value === 'object') {
    out.push(path);
    for (const [k, v] of Object.entries(value)) leaves(v, [...path, Array.isArray(value) ? Number(k) : k], out);
  } else out.push(path);
  return out;
}

function setAt<T>(value: T, path: Path, leaf: unknown): T {
  if (path.length === 0) return leaf as T;
  // a path through a removed element: rebuilt as the kind of container the path expects
  const copy: any = Array.isArray(value) ? [...value] : value === undefined && typeof path[0] === 'number' ? [] : { ...(value as object) };
  const [head, ...rest] = path;
  copy[head!] = setAt(copy[head!], rest, leaf);
  return copy as T;
}

function deleteAt<T>(value: T, path: Path): T {
  if (path.length === 0) return value;
  if (path.length === 1) {
    const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
    if (Array.isArray(copy)) copy.splice(Number(path[0]), 1);
    else delete copy[path[0]!];
    return copy as T;
  }
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  copy[path[0]!] = deleteAt(copy[path[0]!], path.slice(1));
  return copy as T;
}

/** A replacement for a leaf of this kind: mostly of the same type (so it gets past the outer layers), sometimes anything. */
function replacementFor(original: unknown): fc.Arbitrary<unknown> {
  const same = typeof original === 'string' ? nastyString : typeof original === 'number' ? nastyNumber : typeof original === 'boolean' ? fc.boolean() : nastyValue;
  return fc.oneof({ weight: 4, arbitrary: same }, { weight: 1, arbitrary: nastyValue });
}

/**
 * Near-valid values: `valid` with one to three of its fields (any depth) replaced by nasty values
 * or removed, or an extra unknown field added.
 */
export function nearValid<T>(valid: T, opts: { sameType?: boolean } = {}): fc.Arbitrary<T> {
  const paths = leaves(valid).filter((p) => p.length > 0);
  const one = (v: T): fc.Arbitrary<T> =>
    fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constantFrom(...paths).chain((p) => (opts.sameType ? sameTypeFor(get(valid, p)) : replacementFor(get(valid, p))).map((leaf) => setAt(v, p, leaf))),
      },
      { weight: 2, arbitrary: fc.constantFrom(...paths).map((p) => deleteAt(v, p)) },
      { weight: 1, arbitrary: fc.tuple(nastyString, nastyValue).map(([k, x]) => (v && typeof v === 'object' && !Array.isArray(v) ? ({ ...v, [k]: x } as T) : v)) },
    );
  return fc.integer({ min: 1, max: 3 }).chain((n) => {
    let arb: fc.Arbitrary<T> = fc.constant(valid);
    for (let i = 0; i < n; i++) arb = arb.chain(one);
    return arb;
  });
}

function sameTypeFor(original: unknown): fc.Arbitrary<unknown> {
  if (typeof original === 'string') return nastyString;
  if (typeof original === 'number') return nastyNumber;
  if (typeof original === 'boolean') return fc.boolean();
  if (Array.isArray(original)) return fc.oneof(fc.constant([]), fc.constant([...original, ...original]), fc.constant(original.slice(1)));
  return fc.constant(original);
}

const get = (value: unknown, path: Path): unknown => path.reduce<any>((v, k) => (v == null ? v : v[k]), value);
