import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AdamW, checkGradients, gradients, gradName, GraphBuilder, hostTensor, linear, maxRelativeError, mulberry32, Runner, TrainStep, type Value } from '@codistill/graph';
import { buildCausalLm, buildEncoder, Checkpoint, loadSafetensors, writeSafetensors } from '@codistill/models';
import { structuralLoss } from '@codistill/losses';
import { initLoraWeights, loraHook, parseLoraConfig } from '@codistill/lora';
import { chunkedSoftCodeEmbedding, CodeBertEmbedder, codePositionFeeds, cosine, EmbeddingCache, loadBridge, pool, softCodeEmbedding, type Bridge } from '../src/index.js';
import { modelsFixture } from './helpers.js';

const roberta = modelsFixture('tiny-roberta');
const ref = loadSafetensors(path.join(roberta, 'ref.safetensors'));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-codebert-'));

test('mean and CLS pooling of the encoder match transformers', async () => {
  const ckpt = new Checkpoint(roberta);
  const enc = buildEncoder(ckpt, { graph: new GraphBuilder() });
  enc.graph.output(pool(enc.lastHidden, enc.attentionMask, 'mean'), 'mean');
  enc.graph.output(pool(enc.lastHidden, enc.attentionMask, 'cls'), 'cls');
  const run = await Runner.create(enc.toModel(), { externalDataDir: ckpt.externalDataDir });
  const ids = ref.a;
  const { outputs } = await run.run({ input_ids: ids, attention_mask: hostTensor('int64', ids.dims, new Array(ids.dims[1]).fill(1)) });
  const close = (a: Float32Array, b: Float32Array) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 4));
  close(outputs.mean.data as Float32Array, ref.mean_a.data as Float32Array);
  close(outputs.cls.data as Float32Array, ref.cls_a.data as Float32Array);
  await run.release();
});

test('the embedder windows long code, caches on disk and gives unit-consistent cosines', async () => {
  const cacheFile = path.join(tmp(), 'emb.jsonl');
  const emb = await CodeBertEmbedder.load(roberta, { cacheFile, threads: 1 });
  const long = Array.from({ length: 300 }, (_, i) => `x${i} = ${i} * y`).join('\n');
  const [a, b, c] = await emb.embed(['def f(x):\n    return x + 1', 'def g(y):\n    return y + 1', long]);
  expect(a).toHaveLength(emb.dim);
  expect(c.every(Number.isFinite)).toBe(true);
  expect(cosine(a, a)).toBeCloseTo(1, 5);
  expect(cosine(a, b)).toBeLessThan(1);
  expect(fs.readFileSync(cacheFile, 'utf8').trim().split('\n')).toHaveLength(3);
  const again = await CodeBertEmbedder.load(roberta, { cacheFile, threads: 1 });
  expect(Array.from((await again.embed(['def f(x):\n    return x + 1']))[0])).toEqual(Array.from(a));
  await Promise.all([emb.release(), again.release()]);
});

test('a cache line torn by a crash is cut before the next record, so that record survives a reload', () => {
  const file = path.join(tmp(), 'emb.jsonl');
  new EmbeddingCache(file).set('a', Float32Array.of(1, 2));
  fs.appendFileSync(file, '{"key":"b","vec":"AAA'); // the process died mid-append
  new EmbeddingCache(file).set('c', Float32Array.of(3));
  const reloaded = new EmbeddingCache(file);
  expect(reloaded.size).toBe(2);
  expect(Array.from(reloaded.get('c')!)).toEqual([3]);
  expect(Array.from(reloaded.get('a')!)).toEqual([1, 2]);
});

test('a damaged cached bridge (cut short by a full disk) is computed again, not a dead end', () => {
  const student = modelsFixture('tiny-llama');
  const cacheDir = tmp();
  const first = loadBridge(student, 384, roberta, cacheDir);
  const whole = fs.readFileSync(first.file);
  fs.truncateSync(first.file, 1000);
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (message: string) => void warnings.push(message);
  let again: Bridge;
  try {
    again = loadBridge(student, 384, roberta, cacheDir);
  } finally {
    console.warn = warn;
  }
  expect(warnings).toEqual([expect.stringMatching(/bridge-.*\.safetensors: truncated.*computing the bridge again/)]);
  expect(again.entry).toEqual(first.entry);
  expect(fs.readFileSync(again.file).equals(whole)).toBe(true);
  expect(fs.readdirSync(cacheDir)).toEqual([path.basename(first.file)]);
});

/** A small random bridge written as safetensors, for gradient checks with a tiny student vocabulary. */
function randomBridge(vocab: number, dim: number): Bridge {
  const file = path.join(tmp(), 'bridge.safetensors');
  const data = Float32Array.from({ length: vocab * dim }, (_, i) => Math.sin(i * 1.7) * 0.5);
  writeSafetensors(file, { bridge: { dtype: 'float32', dims: [vocab, dim], data } });
  const entry = loadBridgeEntry(file);
  return { file, entry, studentVocab: vocab, dim };
}
const loadBridgeEntry = (file: string) => [...loadSafetensorsHeader(file)][0];
import { readSafetensorsHeader } from '@codistill/models';
const loadSafetensorsHeader = (file: string) => readSafetensorsHeader(file).tensors.values();

test('the structural loss passes a finite-difference check through softmax, bridge and encoder', async () => {
  const ckpt = new Checkpoint(roberta);
  const bridge = randomBridge(6, 64);
  const gt = Float32Array.from({ length: 64 }, (_, i) => Math.cos(i));
  const { positions, mask } = codePositionFeeds([{ start: 1, end: 4 }], 5, 127);
  const r = await checkGradients({
    inputs: [{ shape: [1, 5, 6], dtype: 'float32', map: (v) => 2 * v }],
    build: (logits: Value) => {
      const g = logits.graph;
      const codePositions = g.constant(Array.from(positions, Number), 'int64', [3]);
      const codeMask = g.constant(Array.from(mask, Number), 'int64', [1, 3]);
      const generated = softCodeEmbedding(ckpt, bridge, { logits, codePositions, codeMask });
      return structuralLoss(generated, g.constant(gt, 'float32', [1, 64]));
    },
    eps: 1e-2,
    rtol: 2e-2,
    atol: 2e-4,
  });
  expect(r.failures).toEqual([]);
});

test('from hidden states in recomputed chunks, the soft code embedding and its gradient equal the full logits path', async () => {
  const ckpt = new Checkpoint(roberta);
  const bridge = randomBridge(6, 64);
  const rand = mulberry32(3);
  const { positions, mask, C } = codePositionFeeds([{ start: 1, end: 6 }, { start: 0, end: 3 }], 7, 127);
  const feeds = {
    hidden: hostTensor('float32', [2, 7, 4], Array.from({ length: 56 }, () => rand() * 2 - 1)),
    code_positions: hostTensor('int64', [2 * C], positions),
    code_mask: hostTensor('int64', [2, C], mask),
  };
  const run = async (chunked: boolean) => {
    const g = new GraphBuilder();
    const hidden = g.input('hidden', 'float32', ['batch', 'seq', 4]);
    const w = g.constant(Array.from({ length: 24 }, (_, i) => Math.cos(i * 0.7)), 'float32', [6, 4]);
    const codePositions = g.input('code_positions', 'int64', ['rows']);
    const codeMask = g.input('code_mask', 'int64', ['batch', 'code']);
    const inputs = { codePositions, codeMask };
    // 3 rows a chunk: 10 code rows (with padding) end in a partial chunk.
    const soft = chunked
      ? chunkedSoftCodeEmbedding(ckpt, bridge, { ...inputs, hidden, headWeight: w }, { chunkRows: 3, maxRows: 12 })
      : { embedding: softCodeEmbedding(ckpt, bridge, { ...inputs, logits: linear(hidden, w) }), chunks: [] };
    const loss = g.output(structuralLoss(soft.embedding, g.constant(Array.from({ length: 128 }, (_, i) => Math.sin(i)), 'float32', [2, 64])), 'loss');
    gradients(loss, [hidden], { recompute: [{ policy: 'layer', segments: soft.chunks }] });
    if (chunked) expect(g.nodes.filter((n) => n.name.endsWith('.recompute') && n.op === 'Softmax')).toHaveLength(4);
    const runner = await Runner.create(g.toModel(), { externalDataDir: ckpt.externalDataDir });
    const { outputs } = await runner.run(feeds);
    await runner.release();
    return { loss: outputs.loss.data as Float32Array, grad: outputs[gradName('hidden')].data as Float32Array };
  };
  const [plain, chunked] = [await run(false), await run(true)];
  expect(maxRelativeError(chunked.loss, plain.loss)).toBeLessThan(1e-6);
  expect(maxRelativeError(chunked.grad, plain.grad)).toBeLessThan(1e-5);
});

test('trained on the structural loss alone, LoRA raises the cosine it optimises', async () => {
  const student = modelsFixture('tiny-llama');
  const ckpt = new Checkpoint(student);
  const codebert = new Checkpoint(roberta);
  const bridge = loadBridge(student, 384, roberta, tmp());
  expect(bridge.dim).toBe(64);
  const embedder = await CodeBertEmbedder.load(roberta, { threads: 1 });
  const [target] = await embedder.embed(['for i in range(10):\n    total += i * i']);
  await embedder.release();

  const config = parseLoraConfig({ r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj', 'o_proj'] });
  const { hook, modules } = loraHook(config);
  const lm = buildCausalLm(ckpt, { linear: hook, graph: new GraphBuilder() });
  const g = lm.graph;
  const codePositions = g.input('code_positions', 'int64', ['n']);
  const codeMask = g.input('code_mask', 'int64', ['batch', 'code']);
  const gt = g.input('gt_embedding', 'float32', ['batch', 64]);
  const generated = softCodeEmbedding(codebert, bridge, { logits: lm.logits, codePositions, codeMask });
  const loss = structuralLoss(generated, gt);
  const step = await TrainStep.create(loss, modules.flatMap((m) => [m.A, m.B]), { externalDataDir: ckpt.externalDataDir, threads: 1 });
  const params = initLoraWeights(parseLoraConfig({ ...config, init_lora_weights: false }), modules, 1);
  const T = 12;
  const { positions, mask, C } = codePositionFeeds([{ start: 3, end: 11 }], T, 127);
  const feeds = {
    input_ids: hostTensor('int64', [1, T], Array.from({ length: T }, (_, i) => (i * 37) % 384)),
    attention_mask: hostTensor('int64', [1, T], new Array(T).fill(1)),
    code_positions: hostTensor('int64', [C], positions),
    code_mask: hostTensor('int64', [1, C], mask),
    gt_embedding: hostTensor('float32', [1, 64], target),
  };
  const opt = new AdamW({ lr: 0.05, weightDecay: 0 });
  const losses: number[] = [];
  for (let i = 0; i < 25; i++) {
    const r = await step.run(params, feeds);
    losses.push(r.loss);
    opt.step(params, r.grads);
  }
  await step.release();
  // loss = 1 - cos: the cosine rises as the loss falls.
  expect(1 - losses[24]).toBeGreaterThan(1 - losses[0] + 0.02);
});
