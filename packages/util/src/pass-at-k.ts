/**
 * The one pass@k of the tree (harness and metrics re-export it). Unbiased estimator (Chen et al.,
 * 2021, "Evaluating Large Language Models Trained on Code"): with n samples of which c pass,
 * pass@k = 1 - C(n-c, k) / C(n, k). The binomials overflow for large n, so it is computed as the
 * product 1 - prod_{i=n-c+1..n} (1 - k/i), which stays in [0, 1] and is exact to rounding.
 * Signature: (n, c, k), all non-negative integers with c <= n and 1 <= k <= n; anything else throws.
 */
export function passAtK(n: number, c: number, k: number): number {
  for (const [name, value] of [['n', n], ['c', c], ['k', k]] as const) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`pass@k: ${name} must be a non-negative integer, got ${value}`);
  }
  if (c > n) throw new Error(`pass@k: c (${c}) cannot exceed n (${n})`);
  if (k < 1 || k > n) throw new Error(`pass@k: k must be between 1 and n (${n}), got ${k}`);
  if (n - c < k) return 1;
  let allFail = 1;
  for (let i = n - c + 1; i <= n; i++) allFail *= 1 - k / i;
  return 1 - allFail;
}

/** Sample count n and number of passing samples c of one problem. */
export interface PassCounts {
  n: number;
  c: number;
}

/**
 * Mean pass@k over problems. Given one k: the mean as a number (no problems is an error). Given a
 * list of ks (default 1, 10, 100): `{ 'pass@k': mean }` for each k that every problem has at least k
 * samples for, the others left out (no problems gives `{}`), as an evaluation summary wants it.
 */
export function meanPassAtK(problems: readonly PassCounts[], k: number): number;
export function meanPassAtK(problems: readonly PassCounts[], ks?: readonly number[]): Record<string, number>;
export function meanPassAtK(problems: readonly PassCounts[], k: number | readonly number[] = [1, 10, 100]): number | Record<string, number> {
  if (typeof k === 'number') {
    if (problems.length === 0) throw new Error('pass@k: no problems given');
    let sum = 0;
    for (const { n, c } of problems) sum += passAtK(n, c, k);
    return sum / problems.length;
  }
  const result: Record<string, number> = {};
  if (problems.length === 0) return result;
  const fewest = Math.min(...problems.map((p) => p.n));
  for (const each of k) if (each <= fewest) result[`pass@${each}`] = meanPassAtK(problems, each);
  return result;
}
