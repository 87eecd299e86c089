/** Milliseconds rounded to `digits` decimals (3: µs), as load times are stored and served. */
export function roundMs(ms: number, digits = 3): number {
  return Math.round(ms * 10 ** digits) / 10 ** digits;
}

/** Nanoseconds as milliseconds, rounded to `digits` decimals (3: µs, 6: ns). The one conversion the API's figures use. */
export function nsToMs(ns: number, digits = 3): number {
  return Math.round(ns / 10 ** (6 - digits)) / 10 ** digits;
}
