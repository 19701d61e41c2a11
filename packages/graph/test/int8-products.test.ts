// Frozen weights in 8 bits (RunnerOptions.int8Products): the integer sums are exact (no
// saturation), gradients are float32 ones through the 8-bit weights, a weight only products read
// is not loaded, and the quantised weights are written once per weight file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { float32ToHalf, gradients, GraphBuilder, outlierChannels, hostTensor, linear, mulberry32, ops, quantizeFrozenProducts, Runner, TrainStep, gaussian, type Value } from '../src/index.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-int8-'));
const normal = gaussian(mulberry32(7));
const randn = (n: number, scale = 1) => Float32Array.from({ length: n }, () => normal() * scale);

/** Round half to even, as ONNX's Round. */
function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** w [N, K] per output to |q| <= 63 (half away from zero): the values and the scales. */
function quantised(w: Float32Array, n: number, k: number): { wq: Int32Array; ws: Float64Array } {
  const wq = new Int32Array(n * k);
  const ws = new Float64Array(n);
  for (let o = 0; o < n; o++) {
    const max = Math.max(...w.subarray(o * k, (o + 1) * k).map(Math.abs));
    ws[o] = Math.fround(max / 63);
    for (let i = 0; i < k; i++) wq[o * k + i] = Math.sign(w[o * k + i]) * Math.min(63, Math.round(Math.abs(w[o * k + i]) * Math.fround(1 / ws[o])));
  }
  return { wq, ws };
}

/** w as the 8-bit values stand for it (bitsandbytes' dequantisation). */
function dequantised(w: Float32Array, n: number, k: number): Float32Array {
  const { wq, ws } = quantised(w, n, k);
  return Float32Array.from(wq, (v, i) => Math.fround(v * ws[Math.floor(i / k)]));
}

/**
 * The scheme in plain arithmetic: the k channels with the largest |x| over the rows multiplied in
 * float32 with the dequantised weight; the rest of x [rows, K] per row to |q| <= 127 times w's 8-bit
 * values, summed as integers and scaled back.
 */
function reference(x: Float32Array, rows: number, w: Float32Array, n: number, k: number): Float64Array {
  const { wq, ws } = quantised(w, n, k);
  const wd = dequantised(w, n, k);
  const channelMax = Array.from({ length: k }, (_, i) => Math.max(...Array.from({ length: rows }, (_, r) => Math.abs(x[r * k + i]))));
  const outliers = new Set([...channelMax.keys()].sort((a, b) => channelMax[b] - channelMax[a]).slice(0, outlierChannels(k)));
  const y = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const rest = Array.from(x.subarray(r * k, (r + 1) * k), (v, i) => (outliers.has(i) ? 0 : v));
    const s = Math.fround(Math.fround(Math.max(...rest.map(Math.abs)) / 127) + 1e-30);
    const xq = rest.map((v) => roundEven(Math.fround(v / s)));
    for (let o = 0; o < n; o++) {
      let sum = 0;
      let float = 0;
      for (let i = 0; i < k; i++) {
        sum += xq[i] * wq[o * k + i];
        if (outliers.has(i)) float += x[r * k + i] * wd[o * k + i];
      }
      y[r * n + o] = sum * s * ws[o] + float;
    }
  }
  return y;
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
function relRms(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) [e, n] = [e + (a[i] - b[i]) ** 2, n + b[i] ** 2];
  return Math.sqrt(e / n);
}

/** y = x W^T for an inline float32 W [n, k]; with `bias`, plus a bias. */
function linearModel(w: Float32Array, n: number, k: number, bias?: Float32Array) {
  const g = new GraphBuilder('int8');
  const x = g.input('x', 'float32', ['rows', k]);
  const b = bias && g.initializer({ name: 'b', dtype: 'float32', dims: [n], data: bias });
  g.output(linear(x, g.initializer({ name: 'w', dtype: 'float32', dims: [n, k], data: w }), b), 'y');
  return g.toModel();
}

test('the ops it is made of, on ONNX Runtime: Round halves to even, TopK the largest indices, MatMulInteger exact with a zero point', async () => {
  const g = new GraphBuilder('int8-ops');
  const v = g.input('v', 'float32', [6]);
  g.output(ops.round(v), 'rounded');
  g.output(ops.topK(v, 2)[1], 'top');
  g.output(ops.abs(v), 'abs');
  const a = g.input('a', 'uint8', [2, 3]);
  const b = g.input('b', 'int8', [3, 2]);
  g.output(ops.matmulInteger(a, b, g.constant([128], 'uint8', [])), 'sum');
  const runner = await Runner.create(g.toModel(), { threads: 1 });
  const { outputs } = await runner.run({
    v: hostTensor('float32', [6], [0.5, 1.5, -2.5, 2.25, -7, 3]),
    a: hostTensor('uint8', [2, 3], [255, 128, 1, 130, 0, 200]),
    b: hostTensor('int8', [3, 2], [63, -63, 1, 2, -5, 7]),
  });
  expect(Array.from(outputs.rounded.data as Float32Array)).toEqual([0, 2, -2, 2, -7, 3]);
  expect(new Set(Array.from(outputs.top.data as BigInt64Array, Number))).toEqual(new Set([3, 5]));
  expect(Array.from(outputs.abs.data as Float32Array)).toEqual([0.5, 1.5, 2.5, 2.25, 7, 3]);
  // Rows minus 128: [127, 0, -127] and [2, -128, 72].
  expect(Array.from(outputs.sum.data as Int32Array)).toEqual([127 * 63 + 127 * 5, -127 * 63 - 127 * 7, 2 * 63 - 128 - 360, -2 * 63 - 256 + 504]);
});

test('the integer sums are exact, also at the extremes that saturate an 8-bit-weight u8 x s8 kernel without VNNI', async () => {
  const [rows, n, k] = [6, 5, 64];
  // Rows 0-1 and output 0 at full scale nearly everywhere: 255 * 127 * 2 would overflow VPMADDUBSW's
  // int16 pair sums. The ramp keeps the channels' maxima apart, so which are the outliers is clear.
  const x = randn(rows * k);
  for (let i = 0; i < k; i++) [x[i], x[k + i]] = [3 + i / 1000, -2 - i / 1000];
  const w = randn(n * k, 0.05);
  w.fill(0.04, 0, k);
  const bias = randn(n);
  const runner = await Runner.create(linearModel(w, n, k, bias), { threads: 1, int8Products: { cacheDir: tmp() } });
  expect(runner.int8).toEqual({ products: 1, weights: 1, int8Only: 1, written: 1 });
  const y = (await runner.run({ x: hostTensor('float32', [rows, k], x) })).outputs.y.data as Float32Array;
  const want = reference(x, rows, w, n, k).map((v, i) => v + bias[i % n]);
  expect(maxAbs(y.map((v, i) => v - want[i]))).toBeLessThan(1e-5 * maxAbs(want));
  // Against float32: the quantisation error the README documents for Gaussian data (~1 %).
  const float = await Runner.create(linearModel(w, n, k, bias), { threads: 1 });
  const exact = (await float.run({ x: hostTensor('float32', [rows, k], x) })).outputs.y.data as Float32Array;
  expect(relRms(y, exact)).toBeLessThan(0.02);
  expect(relRms(y, exact)).toBeGreaterThan(0);
});

test('a row of zeros gives zeros, not NaN', async () => {
  const [n, k] = [3, 8];
  const runner = await Runner.create(linearModel(randn(n * k), n, k), { threads: 1, int8Products: { cacheDir: tmp() } });
  const y = (await runner.run({ x: hostTensor('float32', [1, k], new Float32Array(k)) })).outputs.y.data;
  expect(Array.from(y as Float32Array)).toEqual([0, 0, 0]);
});

test("frozen weights' products change, LoRA's do not: gradients are float32 ones through the 8-bit weights", async () => {
  // h = (x p) W^T with W frozen, y = h A^T with A trained, loss = sum(y^2) / 2.
  const [rows, k, n, m] = [4, 16, 12, 3];
  const g = new GraphBuilder('int8-grad');
  const xIn = g.input('x', 'float32', [rows, k]);
  const p = g.input('p', 'float32', [k]);
  const a = g.input('A', 'float32', [m, n]);
  const wData = randn(n * k, 0.2);
  const h = g.output(linear(ops.mul(xIn, p), g.initializer({ name: 'w', dtype: 'float32', dims: [n, k], data: wData })), 'h');
  const y: Value = linear(h, a);
  const loss = ops.mul(ops.reduceSum(ops.mul(y, y), undefined, false), 0.5);
  const step = await TrainStep.create(loss, [p, a], { threads: 1, fetch: [h], int8Products: { cacheDir: tmp() } });
  // LoRA-like products of graph inputs are left alone; W is read by its forward and backward products only.
  expect(step.int8).toEqual({ products: 1, weights: 1, int8Only: 1, written: 1 });
  const [x, pv, av] = [randn(rows * k), randn(k), randn(m * n)];
  const r = await step.run({ p: pv, A: av }, { x: hostTensor('float32', [rows, k], x) });
  const hq = r.outputs.h.data as Float32Array;
  const want = reference(x.map((v, i) => Math.fround(v * pv[i % k])), rows, wData, n, k);
  expect(maxAbs(hq.map((v, i) => v - want[i]))).toBeLessThan(1e-5 * maxAbs(want));
  // By hand from the quantised h: dA = y^T h, dh = y A, d(x p) = dh W with W dequantised, dp = sum over rows of that times x.
  const wd = dequantised(wData, n, k);
  const yv = Array.from({ length: rows * m }, (_, i) => Array.from({ length: n }, (_, j) => hq[Math.floor(i / m) * n + j] * av[(i % m) * n + j]).reduce((s, v) => s + v, 0));
  const dA = Array.from({ length: m * n }, (_, i) => Array.from({ length: rows }, (_, row) => yv[row * m + Math.floor(i / n)] * hq[row * n + (i % n)]).reduce((s, v) => s + v, 0));
  const dh = Array.from({ length: rows * n }, (_, i) => Array.from({ length: m }, (_, o) => yv[Math.floor(i / n) * m + o] * av[o * n + (i % n)]).reduce((s, v) => s + v, 0));
  const dp = Array.from({ length: k }, (_, c) =>
    Array.from({ length: rows }, (_, row) => Array.from({ length: n }, (_, j) => dh[row * n + j] * wd[j * k + c]).reduce((s, v) => s + v, 0) * x[row * k + c]).reduce((s, v) => s + v, 0),
  );
  expect(relRms(r.grads.A, dA)).toBeLessThan(1e-5);
  expect(relRms(r.grads.p, dp)).toBeLessThan(1e-5);
});

test("g W casts its 8-bit weight to float32 only once g exists, so that constant folding cannot make the session hold float32 copies", () => {
  const [rows, k, n] = [4, 16, 12];
  const g = new GraphBuilder('int8-order');
  const p = g.input('p', 'float32', [k]);
  const h = linear(ops.mul(g.input('x', 'float32', [rows, k]), p), g.initializer({ name: 'w', dtype: 'float32', dims: [n, k], data: randn(n * k) }));
  const loss = g.output(ops.reduceSum(ops.mul(h, h), undefined, false), 'loss');
  gradients(loss, [p]);
  const { model } = quantizeFrozenProducts(g.toModel(), { cacheDir: tmp() });
  const producers = new Map(model.graph.nodes.flatMap((node) => node.outputs.map((o) => [o, node] as const)));
  const ancestors = (value: string, seen = new Set<string>()): Set<string> => {
    for (const input of producers.get(value)?.inputs ?? []) if (!seen.has(input)) ancestors(input, seen.add(input));
    return seen;
  };
  // The Casts of the 8-bit weight that a Gemm reads directly (the outlier channels' go through a Mul).
  const readByGemm = (value: string) => model.graph.nodes.find((node) => node.op === 'Gemm' && node.inputs.includes(value));
  const casts = model.graph.nodes.filter((node) => node.op === 'Cast' && ancestors(node.outputs[0]).has('w.int8') && readByGemm(node.outputs[0]));
  expect(casts).toHaveLength(1);
  const product = readByGemm(casts[0].outputs[0])!;
  // The Cast waits for the gradient the product multiplies (its first input's own inputs).
  const gradient = producers.get(product.inputs[0])!.inputs[0];
  expect(ancestors(casts[0].outputs[0]).has(gradient)).toBe(true);
});

test("the backward pass's products are left alone, though g W^T of a forward x W reads a frozen weight with transB", async () => {
  const [rows, k, n] = [3, 8, 5];
  const w = randn(k * n);
  const step = (int8: boolean) => {
    const g = new GraphBuilder('int8-backward');
    const p = g.input('p', 'float32', [k]);
    // A MatMul on a [K, N] weight: its gradient for x p is Gemm(g, W, transB).
    const y = ops.matmul(ops.mul(g.input('x', 'float32', [rows, k]), p), g.initializer({ name: 'w', dtype: 'float32', dims: [k, n], data: w }));
    return TrainStep.create(ops.reduceSum(ops.mul(y, y), undefined, false), [p], { threads: 1, ...(int8 ? { int8Products: { cacheDir: tmp() } } : {}) });
  };
  const feeds = { x: hostTensor('float32', [rows, k], randn(rows * k)) };
  const params = { p: randn(k) };
  const [int8, float] = [await step(true), await step(false)];
  expect(int8.int8).toEqual({ products: 0, weights: 0, int8Only: 0, written: 0 });
  expect((await int8.run(params, feeds)).grads.p).toEqual((await float.run(params, feeds)).grads.p);
});

test('a 16-bit weight in an external file is read through its Cast, quantised once, and again when the file changes', async () => {
  const [n, k] = [4, 32];
  const dir = tmp();
  const file = path.join(dir, 'weights.bin');
  const bits = float32ToHalf('bfloat16', randn(n * k, 0.1));
  // 16 bytes ahead of the tensor, as a safetensors header would be.
  fs.writeFileSync(file, Buffer.concat([Buffer.alloc(16), Buffer.from(bits.buffer)]));
  const g = new GraphBuilder('int8-external');
  const stored = g.initializer({ name: 'w', dtype: 'bfloat16', dims: [n, k], external: { location: file, offset: 16, length: bits.byteLength } });
  g.output(linear(g.input('x', 'float32', [2, k]), ops.cast(stored, 'float32')), 'y');
  // Relative to the working folder, as a CLI's --cache_dir may be.
  const cacheDir = path.relative(process.cwd(), path.join(dir, 'cache'));
  const create = () => Runner.create(g.toModel(), { threads: 1, int8Products: { cacheDir } });
  const x = randn(2 * k);
  const first = await create();
  expect(first.int8).toEqual({ products: 1, weights: 1, int8Only: 1, written: 1 });
  const y = (await first.run({ x: hostTensor('float32', [2, k], x) })).outputs.y.data as Float32Array;
  const w = Float32Array.from(bits, (b) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]);
  const want = reference(x, 2, w, n, k);
  expect(maxAbs(y.map((v, i) => v - want[i]))).toBeLessThan(1e-5 * maxAbs(want));
  expect((await create()).int8!.written).toBe(0);
  expect(fs.readdirSync(cacheDir)).toHaveLength(1);
  fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
  expect((await create()).int8!.written).toBe(1);
});

test('outlier channels are multiplied in float32: a row with a channel 100x the rest keeps its other channels precise', async () => {
  const [rows, n, k] = [8, 6, 256];
  const w = randn(n * k, 0.05);
  const x = randn(rows * k);
  for (let r = 0; r < rows; r++) x[r * k + 5] *= 100;
  const model = linearModel(w, n, k);
  const feeds = { x: hostTensor('float32', [rows, k], x) };
  const exact = (await (await Runner.create(model, { threads: 1 })).run(feeds)).outputs.y.data as Float32Array;
  const int8 = (await (await Runner.create(model, { threads: 1, int8Products: { cacheDir: tmp() } })).run(feeds)).outputs.y.data as Float32Array;
  expect(relRms(int8, exact)).toBeLessThan(0.02);
  // Quantised with the rest, channel 5 would set every row's scale: a hundred times coarser.
  const { model: rewritten } = quantizeFrozenProducts(model, { cacheDir: tmp() });
  expect(rewritten.graph.nodes.map((node) => node.op)).toEqual(expect.arrayContaining(['TopK', 'MatMulInteger', 'Gemm']));
  expect(outlierChannels(k)).toBe(8);
  expect([outlierChannels(4096), outlierChannels(14336), outlierChannels(6)]).toEqual([16, 56, 6]);
});

test('a weight only its products read is not loaded; one that something else reads too stays (and serves its backward products), its forward products in 8 bits all the same', async () => {
  const [rows, n, k] = [3, 6, 16];
  const w = randn(n * k, 0.1);
  const model = (alsoRead: boolean) => {
    const g = new GraphBuilder('int8-held');
    const weight = g.initializer({ name: 'w', dtype: 'float32', dims: [n, k], data: w });
    g.output(linear(g.input('x', 'float32', [rows, k]), weight), 'y');
    // As the chunked cross-entropy reads the head's label rows.
    if (alsoRead) g.output(ops.gather(weight, g.constant([2], 'int64', [1]), 0), 'row');
    return g.toModel();
  };
  const names = (alsoRead: boolean) => quantizeFrozenProducts(model(alsoRead), { cacheDir: tmp() }).model.graph.initializers.map((t) => t.name);
  expect(names(false)).not.toContain('w');
  expect(names(true)).toContain('w');
  const x = randn(rows * k);
  const runner = await Runner.create(model(true), { threads: 1, int8Products: { cacheDir: tmp() } });
  expect(runner.int8).toEqual({ products: 1, weights: 1, int8Only: 0, written: 1 });
  const { outputs } = await runner.run({ x: hostTensor('float32', [rows, k], x) });
  const want = reference(x, rows, w, n, k);
  expect(maxAbs((outputs.y.data as Float32Array).map((v, i) => v - want[i]))).toBeLessThan(1e-5 * maxAbs(want));
  expect(outputs.row.data).toEqual(w.subarray(2 * k, 3 * k));
});

test('int8 products are refused on a GPU provider, before anything is read', async () => {
  const model = linearModel(randn(6), 3, 2);
  await expect(Runner.create(model, { provider: 'webgpu', int8Products: { cacheDir: tmp() } })).rejects.toThrow("int8 products run on the cpu provider only, not 'webgpu'");
});
