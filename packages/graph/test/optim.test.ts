import { AdamW, clipGlobalNorm, globalNorm, GradScaler, SGD } from '../src/index.js';

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

test("GradScaler backs off on an overflow, grows after growthInterval good steps, and skips as torch's does", () => {
  // torch 2.13: torch.amp.GradScaler('cpu', init_scale=8.0, growth_interval=3) over these steps
  // (true: the step's gradients overflowed) gives these scales and _growth_tracker values.
  const overflowed = [false, false, true, false, false, false, false, true, true];
  const torch: [number, number][] = [[8, 1], [8, 2], [4, 0], [4, 1], [4, 2], [8, 0], [8, 1], [4, 0], [2, 0]];
  const scaler = new GradScaler({ initScale: 8, growthInterval: 3 });
  const seen = overflowed.map((inf) => {
    const grads = { w: Float32Array.from([scaler.scale, inf ? Infinity : -2 * scaler.scale]) };
    expect(scaler.unscale(grads)).toBe(!inf);
    if (!inf) expect(Array.from(grads.w)).toEqual([1, -2]);
    scaler.update(!inf);
    return [scaler.scale, scaler.state().growth_tracker];
  });
  expect(seen).toEqual(torch);
  const resumed = new GradScaler();
  resumed.load(scaler.state());
  expect(resumed.state()).toEqual({ scale: 2, growth_tracker: 0 });
  // NaN is an overflow too; a scale that would leave float32 stays where it is.
  expect(new GradScaler().unscale({ w: Float32Array.from([NaN]) })).toBe(false);
  const top = new GradScaler({ initScale: 2 ** 127, growthInterval: 1 });
  top.update(true);
  expect(top.scale).toBe(2 ** 127);
});

test('optimizers count the updates applied: a learning-rate schedule follows them', () => {
  const sgd = new SGD({ lr: 0.1 });
  const adamw = new AdamW({ lr: 0.1 });
  for (const opt of [sgd, adamw]) {
    opt.step({ w: Float32Array.from([1]) }, { w: Float32Array.from([1]) });
    expect(opt.steps).toBe(1);
  }
});
