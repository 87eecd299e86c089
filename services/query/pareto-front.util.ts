/**
 * The items no other item dominates, every objective minimised (negate one to maximise it): b
 * dominates a when b is no worse on every objective and better on one. Equal points are all kept.
 */
export function paretoFront<T>(items: readonly T[], objectives: ReadonlyArray<(item: T) => number>): T[] {
  const scores = items.map((item) => objectives.map((f) => f(item)));
  const dominated = (a: number[], b: number[]) => b.every((v, k) => v <= a[k]!) && b.some((v, k) => v < a[k]!);
  return items.filter((_, i) => !scores.some((other, j) => j !== i && dominated(scores[i]!, other)));
}
