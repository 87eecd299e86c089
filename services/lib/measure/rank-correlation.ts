/** Ranks from 1, ties sharing the mean of their ranks. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

export interface RankCorrelation {
  /** Spearman's ρ: Pearson correlation of the average ranks (ties handled like scipy.stats.spearmanr) */
  rho: number;
  n: number;
}

/**
 * Spearman rank correlation of paired samples; null when it is undefined (fewer than 3 pairs, or
 * one side constant), rather than a number that means nothing.
 */
export function spearman(x: readonly number[], y: readonly number[]): RankCorrelation | null {
  if (x.length !== y.length) throw new RangeError(`spearman: ${x.length} x values but ${y.length} y values`);
  const n = x.length;
  if (n < 3) return null;
  const rx = averageRanks(x);
  const ry = averageRanks(y);
  const mean = (n + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = rx[i]! - mean;
    const dy = ry[i]! - mean;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return { rho: sxy / Math.sqrt(sxx * syy), n };
}
