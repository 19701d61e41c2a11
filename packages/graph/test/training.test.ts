// End-to-end: graphs built with the builder train through autodiff on ONNX Runtime.
import {
  AdamW,
  GraphBuilder,
  GraphError,
  GradScaler,
  LOSS_SCALE,
  SGD,
  TrainStep,
  gaussian,
  gradName,
  gradients,
  hostTensor,
  mulberry32,
  ops,
  Runner,
  trainMlpDemo,
  type Params,
  type Value,
} from '../src/index.js';

describe('2-layer MLP', () => {
  test.each(['adamw', 'sgd'] as const)('loss falls with %s', async (optimizer) => {
    const losses = await trainMlpDemo({ steps: 60, optimizer, threads: 1 });
    expect(losses).toHaveLength(60);
    expect(losses[59]).toBeLessThan(losses[0] * 0.3);
  });
});

/** One causal self-attention block with pre-LayerNorm and a residual, regressing fixed targets. */
async function trainAttention(optimizer: 'adamw' | 'sgd'): Promise<number[]> {
  const [B, T, D] = [3, 5, 8];
  const rand = mulberry32(1);
  const normal = gaussian(rand);
  const g = new GraphBuilder('attention');
  const x = g.input('x', 'float32', ['b', 't', D]);
  const target = g.input('target', 'float32', ['b', 't', D]);
  const mask = g.input('mask', 'float32', ['t', 't']); // 0 where attending is allowed, -1e9 elsewhere
  const names = { wq: [D, D], wk: [D, D], wv: [D, D], wo: [D, D], ln_scale: [D], ln_bias: [D] };
  const p: Record<string, Value> = {};
  const params: Params = {};
  for (const [name, dims] of Object.entries(names)) {
    p[name] = g.input(name, 'float32', dims);
    const n = dims.reduce((a, b) => a * b, 1);
    params[name] = Float32Array.from({ length: n }, () =>
      name === 'ln_scale' ? 1 : name === 'ln_bias' ? 0 : normal() / Math.sqrt(D),
    );
  }
  const h = ops.layerNorm(x, p.ln_scale, p.ln_bias, 1e-5);
  const q = ops.matmul(h, p.wq);
  const k = ops.matmul(h, p.wk);
  const v = ops.matmul(h, p.wv);
  const scores = ops.add(ops.mul(ops.matmul(q, ops.transpose(k, [0, 2, 1])), 1 / Math.sqrt(D)), mask);
  const attn = ops.matmul(ops.softmax(scores, -1), v);
  const out = ops.add(x, ops.matmul(attn, p.wo));
  const err = ops.sub(out, target);
  const loss = ops.reduceMean(ops.mul(err, err), undefined, false);
  const step = await TrainStep.create(loss, Object.values(p), { threads: 1 });

  const causal = Float32Array.from({ length: T * T }, (_, i) => (i % T > Math.floor(i / T) ? -1e9 : 0));
  const feeds = {
    x: hostTensor('float32', [B, T, D], Array.from({ length: B * T * D }, normal)),
    target: hostTensor('float32', [B, T, D], Array.from({ length: B * T * D }, normal)),
    mask: hostTensor('float32', [T, T], causal),
  };
  const opt = optimizer === 'sgd' ? new SGD({ lr: 0.05, momentum: 0.9 }) : new AdamW({ lr: 0.02, weightDecay: 0 });
  const losses: number[] = [];
  for (let i = 0; i < 80; i++) {
    const r = await step.run(params, feeds);
    opt.step(params, r.grads);
    losses.push(r.loss);
  }
  await step.release();
  return losses;
}

describe('attention block (softmax attention + layer norm)', () => {
  test.each(['adamw', 'sgd'] as const)('loss falls with %s', async (optimizer) => {
    const losses = await trainAttention(optimizer);
    expect(losses[79]).toBeLessThan(losses[0] * 0.7);
  });
});

/** loss = x @ w for x [n, 3] fed [[1, 1, 1], [2, 2, 2]]: one value per row, a loss of shape [n, 1]. */
function perRow() {
  const g = new GraphBuilder('per-row');
  const x = g.input('x', 'float32', ['n', 3]);
  const w = g.input('w', 'float32', [3, 1]);
  return { g, w, rows: ops.matmul(x, w), feeds: { x: hostTensor('float32', [2, 3], [1, 1, 1, 2, 2, 2]) } };
}

describe('a loss holds one value', () => {
  const refusal = "the loss 'MatMul:out' must be a scalar (shape []), got [n, 1]: reduce it first, e.g. with ops.reduceMean(loss, undefined, false)";

  test('TrainStep refuses a larger one when the step is made, before touching the graph', async () => {
    const { g, w, rows } = perRow();
    await expect(TrainStep.create(rows, [w], { threads: 1 })).rejects.toThrow(refusal);
    expect(g.outputs).toEqual([]);
    expect(() => gradients(rows, [w])).toThrow(GraphError);
    expect(() => gradients(rows, [w])).toThrow(refusal);
    expect(() => gradients(ops.argMax(rows, 0), [w])).toThrow(/the loss 'ArgMax:out' must be a float tensor, is int64\[1\]/);
  });

  test('one element in any shape is a loss; a seed must match the loss', async () => {
    const { g, w, rows, feeds } = perRow();
    const mean = ops.reduceMean(rows); // keepdims: [1, 1]
    const step = await TrainStep.create(mean, [w], { threads: 1 });
    const r = await step.run({ w: Float32Array.from([1, 2, 3]) }, feeds);
    await step.release();
    expect(r.loss).toBeCloseTo(9);
    expect(Array.from(r.grads.w)).toEqual([1.5, 1.5, 1.5]);
    // With a seed, the gradients are those of sum(loss * seed); a seed must match the loss.
    expect(() => gradients(rows, [w], { seed: g.input('bad', 'float32', ['n']) })).toThrow(/the seed 'bad' \(float32\[n\]\) of the loss 'MatMul:out' must have the loss's dtype and shape, float32\[n, 1\]/);
  });

  test('a seed gives the gradients of the seeded sum', async () => {
    const { g, w, rows, feeds } = perRow();
    const seed = g.input('seed', 'float32', ['n', 1]);
    gradients(rows, [w], { seed });
    const runner = await Runner.create(g.toModel(), { threads: 1 });
    const { outputs } = await runner.run({ ...feeds, w: hostTensor('float32', [3, 1], [1, 2, 3]), seed: hostTensor('float32', [2, 1], [1, -1]) });
    await runner.release();
    expect(Array.from(outputs[gradName('w')].data as Float32Array)).toEqual([-1, -1, -1]);
  });
});

describe('loss scaling for float16 gradients', () => {
  /** loss = sum(float32(float16(w)) * 1e-9): w's gradient, 1e-9, passes through float16, whose smallest subnormal is 6e-8. */
  async function halfStep(lossScale: boolean) {
    const g = new GraphBuilder('half');
    const w = g.input('w', 'float32', [2]);
    const loss = ops.reduceSum(ops.mul(ops.cast(ops.cast(w, 'float16'), 'float32'), g.scalar(1e-9)), undefined, false);
    return TrainStep.create(loss, [w], { threads: 1, lossScale });
  }

  test('a float16 gradient that underflows to 0 survives under GradScaler, unscaled on the host', async () => {
    const plain = await halfStep(false);
    const lost = await plain.run({ w: Float32Array.from([1, 2]) }, {});
    await plain.release();
    expect(Array.from(lost.grads.w)).toEqual([0, 0]);

    const scaled = await halfStep(true);
    expect(scaled.inputNames).toContain(LOSS_SCALE);
    const scaler = new GradScaler();
    const r = await scaled.run({ w: Float32Array.from([1, 2]) }, scaler.feeds());
    await scaled.release();
    expect(r.loss).toBeCloseTo(3e-9, 15); // the forward pass is not scaled
    expect(scaler.unscale(r.grads)).toBe(true);
    // float16(65536e-9) = 6.55651e-5, unscaled: float16's rounding of the true 1e-9, 3 significant digits.
    for (const v of r.grads.w) expect(v).toBeCloseTo(1e-9, 11);
  });

  test('a float16 loss is refused: it cannot hold the scale', async () => {
    const g = new GraphBuilder('half-loss');
    const w = g.input('w', 'float32', [2]);
    const loss = ops.reduceSum(ops.cast(w, 'float16'), undefined, false);
    await expect(TrainStep.create(loss, [w], { threads: 1, lossScale: true })).rejects.toThrow(/loss scaling needs a float32 loss: 'ReduceSum:out' is float16/);
    expect(g.inputs.map((v) => v.name)).toEqual(['w']);
  });
});
