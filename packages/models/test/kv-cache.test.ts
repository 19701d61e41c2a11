import { hostTensor } from '@codistill/graph';
import { KvCache } from '../src/index.js';

const shape = { layers: 2, kvHeads: 3, headDim: 4 };
const row = 2 * 3 * 4; // batch 2
/** A run's new_key_values outputs for `n` positions, each value naming its layer, kind and position. */
const fresh = (n: number, from: number) =>
  Object.fromEntries(
    [0, 1].flatMap((i) =>
      ['key', 'value'].map((kind, k) => [
        `new_key_values.${i}.${kind}`,
        hostTensor(
          'float32',
          [n, 2, 3, 4],
          Array.from({ length: n * row }, (_, j) => 1000 * i + 100 * k + from + Math.floor(j / row)),
        ),
      ]),
    ),
  );

test('the past is a prefix view of what was appended, time-major, and nothing is copied per step', () => {
  const cache = new KvCache(shape, 2, 5);
  expect(Object.values(cache.past()).every((t) => t.dims.join() === '0,2,3,4' && t.data.length === 0)).toBe(
    true,
  );
  cache.append(fresh(3, 0)); // prefill: 3 positions
  cache.append(fresh(1, 3));
  const past = cache.past();
  expect(cache.length).toBe(4);
  expect(Object.keys(past).sort()).toEqual([
    'past_key_values.0.key',
    'past_key_values.0.value',
    'past_key_values.1.key',
    'past_key_values.1.value',
  ]);
  const v1 = past['past_key_values.1.value'];
  expect(v1.dims).toEqual([4, 2, 3, 4]);
  expect([0, 1, 2, 3].map((p) => v1.data[p * row])).toEqual([1100, 1101, 1102, 1103]);
  // Views of one buffer: the next step's past shares memory with this one.
  expect(cache.past()['past_key_values.1.value'].data.buffer).toBe(v1.data.buffer);
});

test('appending past the length the cache was made for is refused', () => {
  const cache = new KvCache(shape, 2, 3);
  cache.append(fresh(3, 0));
  expect(() => cache.append(fresh(1, 3))).toThrow('4 positions exceed the 3 it was made for');
});

test('keeping some rows compacts every cached position to them, in order', () => {
  const cache = new KvCache({ layers: 1, kvHeads: 1, headDim: 2 }, 3, 4);
  // Position t of row b holds [10 t + b, 10 t + b] in both kinds.
  const step = (t: number, rows: number[]) =>
    Object.fromEntries(['key', 'value'].map((kind) => [`new_key_values.0.${kind}`, hostTensor('float32', [1, rows.length, 1, 2], rows.flatMap((b) => [10 * t + b, 10 * t + b]))]));
  cache.append(step(0, [0, 1, 2]));
  cache.append(step(1, [0, 1, 2]));
  cache.keepRows([0, 2]);
  cache.append(step(2, [0, 2]));
  const key = cache.past()['past_key_values.0.key'];
  expect(key.dims).toEqual([3, 2, 1, 2]);
  expect(Array.from(key.data as Float32Array)).toEqual([0, 0, 2, 2, 10, 10, 12, 12, 20, 20, 22, 22]);
});
