// Sorted id lists as views into a shared buffer: each list stays intact while later ones are made,
// also across the buffer filling up, and clear starts over.
import { countCommon, countPresent, SortedIdPool } from '../src/multiset.js';

test('lists are sorted copies that later lists leave intact, also when the buffer fills up', () => {
  const pool = new SortedIdPool();
  const inputs = Array.from({ length: 40 }, (_, i) => Array.from({ length: 50 + 37 * i }, (_, j) => (j * 7919 + i) % 613));
  const lists = inputs.map((ids) => pool.sorted(ids));
  inputs.forEach((ids, i) => expect(Array.from(lists[i])).toEqual([...ids].sort((a, b) => a - b)));
  // 40 lists of up to 1,493 ids outgrow the first 4,096-id buffer several times.
  expect(new Set(lists.map((list) => list.buffer)).size).toBeGreaterThan(1);
  expect(countCommon(lists[0], pool.sorted([...inputs[0]]))).toBe(inputs[0].length);
  expect(countPresent(lists[1], lists[1])).toBe(inputs[1].length);
});

test('clear lets the next lists reuse the buffer', () => {
  const pool = new SortedIdPool();
  const first = pool.sorted([3, 1, 2]);
  pool.clear();
  const second = pool.sorted([9, 8]);
  expect(second.buffer).toBe(first.buffer);
  expect(Array.from(second)).toEqual([8, 9]);
  expect(Array.from(pool.sorted([]))).toEqual([]);
});
