/** Values with how often each occurs; CodeBLEU's matches only look at those counts. */
export interface Multiset<T> {
  counts: Map<T, number>;
  /** Number of values, repeats included. */
  size: number;
}

export function multisetOf<T>(values: Iterable<T>): Multiset<T> {
  const counts = new Map<T, number>();
  let size = 0;
  for (const value of values) {
    counts.set(value, (counts.get(value) ?? 0) + 1);
    size += 1;
  }
  return { counts, size };
}
