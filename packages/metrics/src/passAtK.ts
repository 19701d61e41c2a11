/**
 * Unbiased pass@k estimator (Chen et al., 2021, "Evaluating Large Language Models Trained on
 * Code"): with n samples of which c pass, pass@k = 1 - C(n-c, k) / C(n, k). The binomials
 * overflow for large n, so it is computed as the product 1 - prod_{i=n-c+1..n} (1 - k/i),
 * which stays in [0, 1] and is exact to rounding.
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

/** Mean pass@k over problems, each given as its sample count and number of passing samples. */
export function meanPassAtK(problems: ReadonlyArray<{ n: number; c: number }>, k: number): number {
  if (problems.length === 0) throw new Error('pass@k: no problems given');
  let sum = 0;
  for (const { n, c } of problems) sum += passAtK(n, c, k);
  return sum / problems.length;
}
