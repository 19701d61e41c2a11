// Composite layers: gradients through their primitives, and agreement with direct formulas.
import { checkGradients, gelu, gradients, gradName, type GradCheckOptions, type Value, GraphBuilder, hostTensor, linear, maskedCrossEntropy, ops, rmsNorm, Runner, silu, softmaxCrossEntropy } from '../src/index.js';

const cases: [string, GradCheckOptions][] = [
  ['linear, 3-D input with bias', { inputs: [{ shape: [2, 3, 4] }, { shape: [5, 4] }, { shape: [5] }], build: (x: Value, w: Value, b: Value) => linear(x, w, b) }],
  ['linear, scaled in the Gemm (alpha)', { inputs: [{ shape: [2, 3, 4] }, { shape: [5, 4] }], build: (x: Value, w: Value) => linear(x, w, undefined, 2.5) }],
  ['linear, symbolic rows', { inputs: [{ shape: [2, 3, 4], declared: ['b', 't', 4] }, { shape: [5, 4] }], build: (x: Value, w: Value) => linear(x, w) }],
  ['rmsNorm', { inputs: [{ shape: [2, 6], dtype: 'float32' }, { shape: [6], dtype: 'float32' }], build: (x: Value, w: Value) => rmsNorm(x, w, 1e-6), eps: 1e-2, rtol: 2e-3, atol: 1e-4 }],
  ['silu', { inputs: [{ shape: [5] }], build: silu }],
  ['gelu (float32: no float64 Erf kernel)', { inputs: [{ shape: [5], dtype: 'float32' }], build: gelu, eps: 1e-2, rtol: 1e-3, atol: 1e-4 }],
  ['softmax cross-entropy rows, int64 labels', { inputs: [{ shape: [3, 5] }, { shape: [3], dtype: 'int64', values: [4, 0, 2] }], build: (s: Value, l: Value) => softmaxCrossEntropy(s, l).loss }],
  ['softmax cross-entropy rows, int32 labels', { inputs: [{ shape: [3, 5] }, { shape: [3], dtype: 'int32', values: [1, 3, 3] }], build: (s: Value, l: Value) => softmaxCrossEntropy(s, l).loss }],
  [
    'masked cross-entropy',
    {
      inputs: [{ shape: [2, 3, 5], dtype: 'float32' }, { shape: [2, 3], dtype: 'int64', values: [1, 4, 0, 2, 2, 3] }, { shape: [2, 3], dtype: 'float32', values: [1, 1, 0, 0, 1, 1], grad: false }],
      build: (l: Value, t: Value, w: Value) => maskedCrossEntropy(l, t, w).loss,
      eps: 1e-2, rtol: 2e-3, atol: 1e-4,
    },
  ],
];

test.each(cases)('%s passes the gradient check', async (_name, opts) => {
  const r = await checkGradients(opts);
  expect(r.failures).toEqual([]);
});

test('masked cross-entropy equals the mean NLL over weighted positions', async () => {
  const g = new GraphBuilder();
  const logits = g.input('logits', 'float32', [1, 2, 3]);
  const t = g.input('t', 'int64', [1, 2]);
  const w = g.input('w', 'float32', [1, 2]);
  g.output(maskedCrossEntropy(logits, t, w).loss, 'loss');
  const r = await Runner.create(g.toModel());
  const l = [0, 1, 2, 3, 3, 3];
  const { outputs } = await r.run({ logits: hostTensor('float32', [1, 2, 3], l), t: hostTensor('int64', [1, 2], [2, 0]), w: hostTensor('float32', [1, 2], [1, 0]) });
  const expected = -(2 - Math.log(Math.exp(0) + Math.exp(1) + Math.exp(2)));
  expect(outputs.loss.data[0]).toBeCloseTo(expected, 5);
  await r.release();
});

test('linear matches x @ W^T + b', async () => {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', [1, 2, 3]);
  const w = g.input('w', 'float32', [2, 3]);
  const b = g.input('b', 'float32', [2]);
  g.output(linear(x, w, b), 'y');
  g.output(ops.add(ops.matmul(x, ops.transpose(w, [1, 0])), b), 'ref');
  const r = await Runner.create(g.toModel());
  const { outputs } = await r.run({
    x: hostTensor('float32', [1, 2, 3], [1, 2, 3, 4, 5, 6]),
    w: hostTensor('float32', [2, 3], [1, 0, -1, 0.5, 0.5, 0.5]),
    b: hostTensor('float32', [2], [10, 20]),
  });
  expect(outputs.y.dims).toEqual([1, 2, 2]);
  expect(Array.from(outputs.y.data as Float32Array)).toEqual(Array.from(outputs.ref.data as Float32Array));
  await r.release();
});

test("softmax cross-entropy: a label's probability below float32's smallest normal counts as that; the gradient stays softmax - onehot", async () => {
  const g = new GraphBuilder();
  const scores = g.input('scores', 'float32', [2, 3]);
  const { loss } = softmaxCrossEntropy(scores, g.constant([2, 0], 'int64', [2]));
  gradients(g.output(ops.reduceSum(loss, undefined, false), 'total'), [scores]);
  g.output(loss, 'loss');
  const r = await Runner.create(g.toModel());
  const { outputs } = await r.run({ scores: hostTensor('float32', [2, 3], [0, 0, -200, 1, 2, 3]) });
  await r.release();
  const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  expect(Array.from(outputs.loss.data as Float32Array).map((v) => +v.toFixed(4))).toEqual([+(126 * Math.LN2).toFixed(4), +(lse - 1).toFixed(4)]);
  const p = [1, 2, 3].map((s) => Math.exp(s - lse));
  const expected = [0.5, 0.5, -1, p[0] - 1, p[1], p[2]];
  Array.from(outputs[gradName('scores')].data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
});
