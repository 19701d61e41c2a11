// Dropout draws a fresh mask per run, so its VJP is checked against the mask of the same run.
import { GraphBuilder, gradients, gradName, hostTensor, ops, Runner } from '../src/index.js';

test('dropout gradient is the kept mask scaled by 1 / (1 - ratio)', async () => {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', [64]);
  const r = g.input('r', 'float32', [64]);
  const [y, mask] = ops.dropout(x, 0.25, 7);
  g.output(y, 'y');
  g.output(ops.cast(mask, 'float32'), 'mask');
  const loss = g.output(ops.reduceSum(ops.mul(y, r), undefined, false), 'loss');
  gradients(loss, [x]);
  const runner = await Runner.create(g.toModel());
  const xs = Float32Array.from({ length: 64 }, (_, i) => i / 10 - 3);
  const rs = Float32Array.from({ length: 64 }, (_, i) => Math.cos(i));
  const { outputs } = await runner.run({ x: hostTensor('float32', [64], xs), r: hostTensor('float32', [64], rs) });
  const m = outputs.mask.data as Float32Array;
  const dx = outputs[gradName('x')].data as Float32Array;
  const kept = m.reduce((a, b) => a + b, 0);
  expect(kept).toBeGreaterThan(32); // about 48 of 64 kept
  expect(kept).toBeLessThan(64);
  for (let i = 0; i < 64; i++) {
    expect(dx[i]).toBeCloseTo((rs[i] * m[i]) / 0.75, 5);
    expect((outputs.y.data as Float32Array)[i]).toBeCloseTo((xs[i] * m[i]) / 0.75, 5);
  }
  await runner.release();
});
