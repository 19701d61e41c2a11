import { checkGradients, gradients, gradName, GraphBuilder, hostTensor, linear, maxRelativeError, Runner, type Value } from '@codistill/graph';
import { chunkedTokenLoss, combinedLoss, cosineSimilarity, lossWeightsAt, scoredRows, shiftLabels, structuralLoss, tokenLoss } from '../src/index.js';

describe('curriculum schedules', () => {
  test('linear runs from start to end, clamped so neither weight vanishes', () => {
    const cfg = { kind: 'linear', start: 1, end: 0.86, min_beta: 0.05 } as const;
    expect(lossWeightsAt(0, 11, cfg)).toEqual({ alpha: 0.95, beta: expect.closeTo(0.05, 10) });
    expect(lossWeightsAt(10, 11, cfg).alpha).toBeCloseTo(0.86);
    expect(lossWeightsAt(10, 11, cfg).beta).toBeCloseTo(0.14);
    expect(lossWeightsAt(5, 11, cfg).alpha).toBeCloseTo(0.93);
  });

  test('cosine is slow at both ends; step descends in stages; constant stays', () => {
    const cos = (s: number) => lossWeightsAt(s, 101, { kind: 'cosine', start: 0.9, end: 0.5 }).alpha;
    expect(cos(0)).toBeCloseTo(0.9);
    expect(cos(50)).toBeCloseTo(0.7);
    expect(cos(100)).toBeCloseTo(0.5);
    expect(cos(1) - cos(0)).toBeGreaterThan(cos(50) - cos(49)); // smaller change at the start
    const step = (s: number) => lossWeightsAt(s, 100, { kind: 'step', start: 0.9, end: 0.6, stages: 4 }).alpha;
    expect([step(0), step(30), step(60), step(99)].map((a) => +a.toFixed(3))).toEqual([0.9, 0.8, 0.7, 0.6]);
    expect(lossWeightsAt(50, 100, { kind: 'constant', start: 0.7 }).alpha).toBeCloseTo(0.7);
  });

  test('bad settings are rejected naming the field', () => {
    expect(() => lossWeightsAt(0, 10, { min_alpha: 0.6, min_beta: 0.6 })).toThrow(/min_beta/);
    expect(() => lossWeightsAt(0, 10, { start: 2 })).toThrow(/start/);
  });
});

test('shiftLabels pairs each position with the next token and its loss flag', () => {
  const { labels, weights } = shiftLabels([5, 6, 7, 8], [0, 0, 1, 1], 1, 4);
  expect(Array.from(labels, Number)).toEqual([6, 7, 8, 0]);
  expect(Array.from(weights)).toEqual([0, 1, 1, 0]);
});

test('chunkedTokenLoss gives tokenLoss on the logits and its hidden-state gradient, also through the scored rows alone', async () => {
  const lossAndGrad = async (inLoss: number[], build: (h: Value, w: Value, l: Value, wt: Value, rows: Value) => Value) => {
    const { labels, weights } = shiftLabels([3, 1, 4, 1, 5, 9, 2, 6], inLoss, 2, 4);
    const g = new GraphBuilder();
    const h = g.input('h', 'float32', ['b', 't', 3]);
    const rowsInput = g.input('rows', 'int32', ['m']);
    const loss = g.output(build(h, g.input('w', 'float32', [10, 3]), g.input('labels', 'int64', ['b', 't']), g.input('weights', 'float32', ['b', 't']), rowsInput), 'loss');
    gradients(loss, [h]);
    const r = await Runner.create(g.toModel());
    const feeds = {
      h: hostTensor('float32', [2, 4, 3], Array.from({ length: 24 }, (_, i) => Math.sin(i))),
      w: hostTensor('float32', [10, 3], Array.from({ length: 30 }, (_, i) => Math.cos(i))),
      labels: hostTensor('int64', [2, 4], labels),
      weights: hostTensor('float32', [2, 4], weights),
      rows: scoredRows(weights),
    };
    // Only the inputs a graph keeps (one that never reads `rows` has no such input).
    const { outputs } = await r.run(Object.fromEntries(Object.entries(feeds).filter(([name]) => r.inputNames.includes(name))));
    await r.release();
    return [outputs.loss.data, outputs[gradName('h')].data] as Float32Array[];
  };
  const inLoss = [0, 1, 1, 1, 0, 0, 1, 1];
  const want = await lossAndGrad(inLoss, (h, w, l, wt) => tokenLoss(linear(h, w), l, wt).loss);
  const chunked = await lossAndGrad(inLoss, (h, w, l, wt) => chunkedTokenLoss(h, w, l, wt, { chunkRows: 3, maxRows: 8 }).loss);
  const scored = await lossAndGrad(inLoss, (h, w, l, wt, rows) => chunkedTokenLoss(h, w, l, wt, { chunkRows: 3, maxRows: 8, rows }).loss);
  for (const got of [chunked, scored]) got.forEach((x, i) => expect(maxRelativeError(x, want[i])).toBeLessThan(1e-5));
  // A batch with nothing in the loss scores one row of weight 0: a zero loss and zero gradients, as tokenLoss gives.
  const none = await lossAndGrad(new Array(8).fill(0), (h, w, l, wt, rows) => chunkedTokenLoss(h, w, l, wt, { chunkRows: 3, maxRows: 8, rows }).loss);
  expect(none.map((x) => Math.max(...Array.from(x, Math.abs)))).toEqual([0, 0]);
  expect(scoredRows([0, 0.5, 0, 1])).toMatchObject({ dtype: 'int32', dims: [2], data: Int32Array.from([1, 3]) });
  expect(scoredRows([0, 0])).toMatchObject({ dtype: 'int32', dims: [1], data: Int32Array.from([0]) });
});

test('structural loss is 1 - mean cosine and passes the gradient check', async () => {
  const r = await checkGradients({
    inputs: [{ shape: [3, 4] }, { shape: [3, 4], grad: false }],
    build: (a: Value, b: Value) => structuralLoss(a, b),
  });
  expect(r.failures).toEqual([]);
  const g = new GraphBuilder();
  const a = g.input('a', 'float32', [2, 2]);
  const b = g.input('b', 'float32', [2, 2]);
  g.output(cosineSimilarity(a, b), 'cos');
  g.output(structuralLoss(a, b), 'loss');
  const alpha = g.input('alpha', 'float32', []);
  const beta = g.input('beta', 'float32', []);
  g.output(combinedLoss(g.scalar(2), structuralLoss(a, b), alpha, beta), 'total');
  const run = await Runner.create(g.toModel());
  const { outputs } = await run.run({
    a: hostTensor('float32', [2, 2], [1, 0, 1, 1]),
    b: hostTensor('float32', [2, 2], [0, 1, 2, 2]),
    alpha: hostTensor('float32', [], [0.75]),
    beta: hostTensor('float32', [], [0.25]),
  });
  expect(Array.from(outputs.cos.data as Float32Array).map((v) => +v.toFixed(5))).toEqual([0, 1]);
  expect(outputs.loss.data[0]).toBeCloseTo(0.5, 5);
  expect(outputs.total.data[0]).toBeCloseTo(0.75 * 2 + 0.25 * 0.5, 5);
  await run.release();
});

test('rows without code are left out of the structural loss, and a zero embedding gets a finite gradient', async () => {
  const r = await checkGradients({
    inputs: [{ shape: [3, 4] }, { shape: [3, 4], grad: false }, { shape: [3], grad: false }],
    build: (a: Value, b: Value, rows: Value) => structuralLoss(a, b, rows),
  });
  expect(r.failures).toEqual([]);
  const g = new GraphBuilder();
  const a = g.input('a', 'float32', [2, 2]);
  const b = g.input('b', 'float32', [2, 2]);
  const rows = g.input('rows', 'float32', [2]);
  const loss = structuralLoss(a, b, rows);
  g.output(loss, 'loss');
  g.output(gradients(loss, [a]).get(a.name)!, 'grad');
  const run = await Runner.create(g.toModel());
  const { outputs } = await run.run({ a: hostTensor('float32', [2, 2], [1, 1, 0, 0]), b: hostTensor('float32', [2, 2], [2, 2, 1, 0]), rows: hostTensor('float32', [2], [1, 0]) });
  expect(outputs.loss.data[0]).toBeCloseTo(0, 5);
  expect(Array.from(outputs.grad.data as Float32Array).every(Number.isFinite)).toBe(true);
  await run.release();
});
