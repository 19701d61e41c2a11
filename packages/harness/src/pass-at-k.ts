/**
 * Unbiased pass@k estimator (Chen et al. 2021): 1 - C(n-c, k) / C(n, k), computed as a product
 * so large n does not overflow. Needs n >= k.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (k > n) throw new Error(`pass@${k} needs at least ${k} samples, got ${n}`);
  if (n - c < k) return 1;
  let notPassing = 1;
  for (let i = n - c + 1; i <= n; i++) notPassing *= 1 - k / i;
  return 1 - notPassing;
}

/** Mean pass@k over tasks, for each k that every task has enough samples for. */
export function meanPassAtK(counts: ReadonlyArray<{ n: number; c: number }>, ks: readonly number[] = [1, 10, 100]): Record<string, number> {
  const result: Record<string, number> = {};
  if (counts.length === 0) return result;
  const fewest = Math.min(...counts.map((t) => t.n));
  for (const k of ks) {
    if (fewest < k) continue;
    result[`pass@${k}`] = counts.reduce((sum, t) => sum + passAtK(t.n, t.c, k), 0) / counts.length;
  }
  return result;
}
