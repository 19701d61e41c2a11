import { mulberry32, shuffle } from '../src/index.js';

// Values captured from the implementations this replaced (graph's and data's mulberry32, train's and
// data's shuffle) before they were merged: seeded selections, batches and weights must not change.

const first5 = (seed: number): number[] => {
  const next = mulberry32(seed);
  return Array.from({ length: 5 }, () => next() * 4294967296);
};

test('mulberry32 gives the same sequence as before for fixed seeds', () => {
  expect(first5(0)).toEqual([1144304738, 1416247, 958946056, 627933444, 2007157716]);
  expect(first5(1)).toEqual([2693262067, 11749833, 2265367787, 4213581821, 4159151403]);
  expect(first5(42)).toEqual([2581720956, 1925393290, 3661312704, 2876485805, 750819978]);
  expect(first5(20261123)).toEqual([3868568189, 3623666556, 2031183717, 1868882916, 1538376791]);
});

test('mulberry32 reads the seed as an unsigned 32-bit integer', () => {
  expect(first5(0xffffffff)).toEqual([3850105811, 813802916, 3073704848, 4054706436, 3630262831]);
  expect(first5(-1)).toEqual(first5(0xffffffff));
});

test('mulberry32 stays in [0, 1)', () => {
  const next = mulberry32(7);
  for (let i = 0; i < 10_000; i++) {
    const x = next();
    expect(x >= 0 && x < 1).toBe(true);
  }
});

test('shuffle gives the same order as before for fixed seeds and leaves its input alone', () => {
  const items = Array.from({ length: 10 }, (_, i) => i);
  expect(shuffle(items, mulberry32(0))).toEqual([3, 8, 6, 4, 5, 9, 7, 1, 0, 2]);
  expect(shuffle(items, mulberry32(1))).toEqual([7, 8, 3, 2, 1, 5, 9, 4, 0, 6]);
  expect(shuffle(items, mulberry32(42))).toEqual([0, 7, 3, 5, 2, 1, 8, 9, 4, 6]);
  expect(items).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(shuffle([], mulberry32(0))).toEqual([]);
});
