import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  dumpGraph,
  GraphBuilder,
  hostTensor,
  modelFromBytes,
  modelToBytes,
  ops,
  Runner,
  toBytes,
} from '../src/index.js';

function sampleGraph() {
  const g = new GraphBuilder('sample');
  const x = g.input('x', 'float32', ['batch', 3]);
  const w = g.initializer({ name: 'w', dtype: 'float32', dims: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) });
  const y = ops.layerNorm(ops.gemm(x, w, { alpha: 0.5 }), g.constant([1, 1], 'float32'), undefined, 1e-3);
  const z = ops.cast(ops.argMax(ops.softmax(y, -1), -1), 'float32');
  g.output(y, 'y');
  g.output(ops.transpose(ops.reshape(z, [-1, 1]), [1, 0]), 'z');
  return g;
}

test('a model survives encode -> decode -> encode unchanged, attributes typed', () => {
  const model = sampleGraph().toModel({ purpose: 'test' });
  const bytes = modelToBytes(model);
  const back = modelFromBytes(bytes);
  expect(back.opset).toBe(18);
  expect(back.metadata).toEqual({ purpose: 'test' });
  expect(back.graph.inputs).toEqual(model.graph.inputs);
  expect(back.graph.nodes.map((n) => n.op)).toEqual(model.graph.nodes.map((n) => n.op));
  const gemm = back.graph.nodes.find((n) => n.op === 'Gemm')!;
  expect(gemm.attrKinds).toEqual({ alpha: 'float' });
  expect(gemm.attrs.alpha).toBeCloseTo(0.5);
  expect(Buffer.from(modelToBytes(back)).equals(Buffer.from(bytes))).toBe(true);
});

test('a decoded model runs in ONNX Runtime with the same results', async () => {
  const model = sampleGraph().toModel();
  const feeds = { x: hostTensor('float32', [2, 3], [1, 0, -1, 0.5, 0.5, 0.5]) };
  const a = await Runner.create(model);
  const b = await Runner.create(modelFromBytes(modelToBytes(model)));
  const ra = await a.run(feeds);
  const rb = await b.run(feeds);
  expect(Array.from(rb.outputs.y.data as Float32Array)).toEqual(Array.from(ra.outputs.y.data as Float32Array));
  expect(ra.outputs.z.dims).toEqual([1, 2]);
  expect(ra.report.peakRssMiB).toBeGreaterThan(0);
  await Promise.all([a.release(), b.release()]);
});

test('external data is read from a file at an offset, without copying it into the model', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-ext-'));
  const w = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const header = new Uint8Array(16).fill(7); // the weight starts 16 bytes in, as in a safetensors file
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.concat([header, toBytes(w)]));
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', [1, 3]);
  const wv = g.initializer({ name: 'w', dtype: 'float32', dims: [3, 2], external: { location: 'weights.bin', offset: 16, length: 24 } });
  g.output(ops.matmul(x, wv), 'y');
  const model = g.toModel();
  expect(modelToBytes(model).length).toBeLessThan(400);
  const back = modelFromBytes(modelToBytes(model));
  expect(back.graph.initializers[0].external).toEqual({ location: 'weights.bin', offset: 16, length: 24 });
  await expect(Runner.create(model)).rejects.toThrow(/relative external location 'weights.bin': pass externalDataDir/);
  const runner = await Runner.create(model, { externalDataDir: dir });
  expect(fs.readdirSync(dir)).toEqual(['weights.bin']); // nothing written beside the weights
  const { outputs } = await runner.run({ x: hostTensor('float32', [1, 3], [1, 1, 1]) });
  expect(Array.from(outputs.y.data as Float32Array)).toEqual([9, 12]);
  await runner.release();
});

test('external data from several folders, by absolute location, runs in one session', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-ext-'));
  const files = ['a/w.bin', 'b/deeper/w.bin'].map((f) => path.join(root, f));
  files.forEach((f, i) => {
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, toBytes(Float32Array.from([i + 1, i + 2])));
  });
  const g = new GraphBuilder();
  const [wa, wb] = files.map((f, i) => g.initializer({ name: `w${i}`, dtype: 'float32', dims: [2], external: { location: f, offset: 0, length: 8 } }));
  g.output(ops.add(wa, wb), 'y');
  const runner = await Runner.create(g.toModel());
  expect(Array.from((await runner.run({})).outputs.y.data as Float32Array)).toEqual([3, 5]);
  await runner.release();
});

test('dumpGraph lists inputs, weights, nodes and outputs', () => {
  const text = dumpGraph(sampleGraph().toModel());
  expect(text).toContain('input  %x: float32[batch, 3]');
  expect(text).toContain('weight %w: float32[3, 2]');
  expect(text).toMatch(/= Gemm\(%x, %w\) \{alpha=0.5\}/);
  expect(text).toContain('output %z');
});

test('an unavailable execution provider is a clear error', async () => {
  await expect(Runner.create(sampleGraph().toModel(), { provider: 'cuda' })).rejects.toThrow(/cuda.*not available|CUDA/);
});

test("an ONNX Runtime contrib op keeps its domain, the model imports it, and ONNX Runtime runs it", async () => {
  const g = new GraphBuilder('contrib');
  const x = g.input('x', 'float32', [1, 1, 2, 2]);
  const pos = g.input('pos', 'int64', [1, 2]);
  const cache = (v: number[]) => g.constant(v, 'float32', [2, 1]);
  g.output(ops.rotaryEmbedding(x, pos, cache([1, 0]), cache([0, 1])), 'y');
  const model = g.toModel();
  expect(model.graph.nodes.find((n) => n.op === 'RotaryEmbedding')?.domain).toBe('com.microsoft');
  expect(modelFromBytes(modelToBytes(model)).graph.nodes.find((n) => n.op === 'RotaryEmbedding')?.domain).toBe('com.microsoft');
  const runner = await Runner.create(model);
  // Position 0: angle 0 (unchanged); position 1: a quarter turn, (a, b) -> (-b, a).
  const { outputs } = await runner.run({ x: hostTensor('float32', [1, 1, 2, 2], [1, 2, 3, 4]), pos: hostTensor('int64', [1, 2], [0, 1]) });
  expect(Array.from(outputs.y.data as Float32Array)).toEqual([1, 2, -4, 3]);
  await runner.release();
});
