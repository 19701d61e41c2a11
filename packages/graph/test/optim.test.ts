import { AdamW, clipGlobalNorm, globalNorm, SGD } from '../src/index.js';

test('AdamW matches the closed form of its first two steps (PyTorch semantics)', () => {
  const p = { w: Float32Array.from([1, -2]) };
  const opt = new AdamW({ lr: 0.1, weightDecay: 0.01 });
  opt.step(p, { w: Float32Array.from([0.5, -1]) });
  // step 1: bias-corrected m/sqrt(v) = sign(g); decay applied first
  expect(p.w[0]).toBeCloseTo(1 * (1 - 0.001) - 0.1, 6);
  expect(p.w[1]).toBeCloseTo(-2 * (1 - 0.001) + 0.1, 6);
  const w0 = p.w[0];
  opt.step(p, { w: Float32Array.from([0.5, -1]) });
  expect(p.w[0]).toBeCloseTo(w0 * (1 - 0.001) - 0.1, 5); // constant gradient keeps a unit step
  const state = opt.state();
  const again = new AdamW({ lr: 0.1, weightDecay: 0.01 });
  again.load(state);
  const a = { w: Float32Array.from(p.w) };
  const b = { w: Float32Array.from(p.w) };
  opt.step(a, { w: Float32Array.from([1, 1]) });
  again.step(b, { w: Float32Array.from([1, 1]) });
  expect(Array.from(b.w)).toEqual(Array.from(a.w));
});

test('SGD with momentum accumulates velocity', () => {
  const p = { w: Float32Array.from([0]) };
  const opt = new SGD({ lr: 1, momentum: 0.5 });
  opt.step(p, { w: Float32Array.from([1]) });
  opt.step(p, { w: Float32Array.from([1]) });
  expect(p.w[0]).toBeCloseTo(-(1 + 1.5));
});

test('global-norm clipping scales all gradients together', () => {
  const g = { a: Float32Array.from([3]), b: Float32Array.from([4]) };
  expect(clipGlobalNorm(g, 1)).toBeCloseTo(5);
  expect(globalNorm(g)).toBeCloseTo(1, 4);
  expect(g.a[0] / g.b[0]).toBeCloseTo(0.75);
});

test('a missing gradient is an error naming the parameter', () => {
  expect(() => new AdamW({ lr: 1 }).step({ w: new Float32Array(1) }, {})).toThrow(/'w'/);
});
