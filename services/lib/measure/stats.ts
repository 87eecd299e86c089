import { mean, quantileSorted, standardDeviation } from 'simple-statistics';

export interface LatencyStats {
  count: number;
  min: number;
  median: number;
  mean: number;
  p90: number;
  p99: number;
  std: number;
}

/** Summary statistics of latencies (any unit; the caller keeps units consistent). */
export function summarize(values: readonly number[]): LatencyStats {
  if (values.length === 0) throw new RangeError('summarize: no values');
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    min: sorted[0]!,
    median: quantileSorted(sorted, 0.5),
    mean: mean(sorted),
    p90: quantileSorted(sorted, 0.9),
    p99: quantileSorted(sorted, 0.99),
    std: sorted.length > 1 ? standardDeviation(sorted) : 0,
  };
}

export function median(values: readonly number[]): number {
  return summarize(values).median;
}
