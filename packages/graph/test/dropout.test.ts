// The hashed dropout: the graph's masks equal the host reference bit for bit, behave like
// independent Bernoulli draws, and the gradient flows through the same mask.
import { keepThreshold } from '../src/dropout.js';
import { checkGradients, dropout, dropoutFeeds, dropoutInputs, dropoutMask, dropoutMaskOnHost, GraphBuilder, hostTensor, ops, Runner } from '../src/index.js';

/** The graph's mask for x of `dims`, declared symbolic (the general path) or static (an even dim: no Slice). */
async function graphMask(dims: number[], ratio: number, seed: number, stream: number, declared: 'symbolic' | 'static'): Promise<Uint8Array> {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', declared === 'static' ? dims : dims.map((_, i) => `d${i}`));
  g.output(ops.cast(dropoutMask(x, ratio, dropoutInputs(x), stream), 'uint8'), 'keep');
  const runner = await Runner.create(g.toModel());
  const size = dims.reduce((a, b) => a * b, 1);
  const { outputs } = await runner.run({ x: hostTensor('float32', dims), ...dropoutFeeds(seed) });
  await runner.release();
  expect(outputs.keep.data.length).toBe(size);
  return outputs.keep.data as Uint8Array;
}

test.each([
  [[3, 5, 7], 0.1, 0, 0, 'symbolic'],
  [[2, 64, 33], 0.5, -123456789, 7, 'symbolic'],
  [[2, 64, 33], 0.5, -123456789, 7, 'static'],
  [[4099], 0.9, 2 ** 31 - 1, 255, 'static'],
] as const)('graph mask of %j (ratio %d, seed %d, stream %d, %s dims) equals the host reference', async (dims, ratio, seed, stream, declared) => {
  const size = dims.reduce((a, b) => a * b, 1);
  expect(Array.from(await graphMask([...dims], ratio, seed, stream, declared))).toEqual(Array.from(dropoutMaskOnHost(size, ratio, seed, stream)));
});

test.each([
  [0.1, 6554],
  [0.5, 32768],
  [1e-9, 0],
  [1 - 2 ** -20, 65535],
])('ratio %d drops %d of every 65,536 high or low halves', (ratio, dropped) => {
  // The halves below the threshold, read as signed 16-bit values from -32768 up.
  expect(keepThreshold(ratio) / 2 ** 16 + 2 ** 15).toBe(dropped);
  expect(Number.isInteger(keepThreshold(ratio)) && keepThreshold(ratio) >= -(2 ** 31) && keepThreshold(ratio) < 2 ** 31).toBe(true);
});

const agreement = (a: Uint8Array, b: Uint8Array, shift = 0): number => {
  let same = 0;
  for (let i = 0; i + shift < a.length; i++) same += a[i] === b[i + shift] ? 1 : 0;
  return same / (a.length - shift);
};

describe('masks behave like independent draws', () => {
  const n = 1 << 19;
  const p = 0.1;
  // Two independent Bernoulli(1 - p) masks agree with probability p^2 + (1-p)^2; 5 sigma of n draws.
  const independent = p * p + (1 - p) * (1 - p);
  const tol = 5 * Math.sqrt((independent * (1 - independent)) / n);
  const base = dropoutMaskOnHost(n, p, 42, 3);

  test('keep rate is 1 - ratio', () => {
    for (const ratio of [0.05, 0.1, 0.5, 0.9]) {
      const kept = dropoutMaskOnHost(n, ratio, 1, 0).reduce((a, b) => a + b, 0) / n;
      expect(Math.abs(kept - (1 - ratio))).toBeLessThan(5 * Math.sqrt((ratio * (1 - ratio)) / n));
    }
  });

  test('neighbouring elements, other streams, other seeds and shifted copies are uncorrelated', () => {
    const others = [dropoutMaskOnHost(n, p, 42, 4), dropoutMaskOnHost(n, p, 43, 3), dropoutMaskOnHost(n, p, 0, 0)];
    for (const other of others) for (const shift of [0, 1, 2, 17, 4096]) expect(Math.abs(agreement(base, other, shift) - independent)).toBeLessThan(tol);
    // n / 2: an element and the one deciding by the same hash's other half.
    for (const shift of [1, 2, 3, 512, 65536, n / 2]) expect(Math.abs(agreement(base, base, shift) - independent)).toBeLessThan(tol);
  });
});

test('dropout scales kept elements by 1 / (1 - ratio), passes the gradient through the same mask, and switches off', async () => {
  const r = await checkGradients({
    inputs: [{ shape: [4, 9] }, { shape: [], dtype: 'int32', values: [5] }],
    build: (x, seed) => dropout(x, 0.3, { seed }, 2),
  });
  expect(r.failures).toEqual([]);
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', [4, 9]);
  g.output(dropout(x, 0.3, dropoutInputs(x), 2), 'y');
  const runner = await Runner.create(g.toModel());
  const xs = Float32Array.from({ length: 36 }, (_, i) => i - 10);
  const run = async (on: boolean) => (await runner.run({ x: hostTensor('float32', [4, 9], xs), ...dropoutFeeds(5, on) })).outputs.y.data as Float32Array;
  const keep = dropoutMaskOnHost(36, 0.3, 5, 2);
  // A dropped element is x * 0 (-0 where x < 0), as in PyTorch's dropout, which multiplies by the mask.
  expect(Array.from(await run(true))).toEqual(Array.from(xs, (v, i) => (keep[i] ? Math.fround(v * Math.fround(1 / 0.7)) : v * 0)));
  // Switched off (validation): exactly the identity.
  expect(Array.from(await run(false))).toEqual(Array.from(xs));
  await runner.release();
});

test('ratio 0 is the identity; a ratio outside [0, 1) or a seed that is not an int32 scalar is refused', () => {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', [3]);
  const control = dropoutInputs(x);
  expect(dropout(x, 0, control, 0)).toBe(x);
  expect(() => dropout(x, 1, control, 0)).toThrow(/ratio must be in \[0, 1\), got 1/);
  expect(() => dropout(x, 0.1, { seed: g.input('s', 'int64', []) }, 0)).toThrow(/must be an int32 scalar/);
  expect(() => dropout(x, 0.1, { seed: control.seed, on: g.input('o', 'int32', []) }, 0)).toThrow(/must be a bool scalar/);
});
