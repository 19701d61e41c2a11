import { meanPassAtK, passAtK } from '../src/index.js';

function binomial(n: number, k: number): number {
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return result;
}

test('equals 1 - C(n-c, k) / C(n, k) on small inputs', () => {
  for (let n = 1; n <= 12; n++) {
    for (let c = 0; c <= n; c++) {
      for (let k = 1; k <= n; k++) {
        const exact = n - c < k ? 1 : 1 - binomial(n - c, k) / binomial(n, k);
        expect(passAtK(n, c, k)).toBeCloseTo(exact, 12);
      }
    }
  }
});

test('pass@1 is the fraction of passing samples', () => {
  expect(passAtK(200, 37, 1)).toBeCloseTo(37 / 200, 14);
});

test('stays finite and in [0, 1] for large n, where the binomials overflow', () => {
  const value = passAtK(100000, 3, 1000);
  expect(Number.isFinite(value)).toBe(true);
  expect(value).toBeGreaterThan(0);
  expect(value).toBeLessThan(1);
  // 1 - prod (1 - k/i) for i in (n-c, n]
  expect(value).toBeCloseTo(1 - (1 - 1000 / 99998) * (1 - 1000 / 99999) * (1 - 1000 / 100000), 12);
  expect(passAtK(100000, 0, 100)).toBe(0);
  expect(passAtK(100000, 99950, 100)).toBe(1);
});

test('rejects impossible inputs', () => {
  expect(() => passAtK(5, 6, 1)).toThrow(/c \(6\) cannot exceed n/);
  expect(() => passAtK(5, 1, 0)).toThrow(/k must be between 1 and n/);
  expect(() => passAtK(5, 1, 6)).toThrow(/k must be between 1 and n/);
  expect(() => passAtK(5.5, 1, 1)).toThrow(/n must be a non-negative integer/);
  expect(() => meanPassAtK([], 1)).toThrow(/no problems/);
});

test('meanPassAtK averages over problems', () => {
  expect(meanPassAtK([{ n: 10, c: 10 }, { n: 10, c: 0 }], 1)).toBeCloseTo(0.5, 14);
});

test('small cases', () => {
  expect(passAtK(10, 0, 1)).toBe(0);
  expect(passAtK(10, 10, 5)).toBe(1);
  expect(passAtK(6, 3, 1)).toBeCloseTo(0.5, 12);
  expect(passAtK(5, 1, 2)).toBeCloseTo(1 - (4 * 3) / (5 * 4), 12);
});

test('meanPassAtK with a list of ks gives a summary of the ks every problem has enough samples for', () => {
  expect(meanPassAtK([{ n: 2, c: 1 }, { n: 2, c: 0 }])).toEqual({ 'pass@1': 0.25 });
  expect(meanPassAtK([{ n: 10, c: 3 }, { n: 20, c: 0 }], [1, 10, 100])).toEqual({
    'pass@1': meanPassAtK([{ n: 10, c: 3 }, { n: 20, c: 0 }], 1),
    'pass@10': 0.5,
  });
  expect(meanPassAtK([])).toEqual({});
});
