/**
 * The one percentile definition latfleet uses (ingest, query, dashboards): the p-quantile of an
 * ascending sample with linear interpolation between closest ranks, the same number as Postgres'
 * `percentile_cont(p)`, so that API figures match a query over the stored rows.
 */
export function percentileCont(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('percentileCont: no values');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentileCont: p = ${p} is not in [0, 1]`);
  const pos = p * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
