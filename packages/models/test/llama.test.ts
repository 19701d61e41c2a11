import { hostTensor, type HostTensor, Runner } from '@codistill/graph';
import { ANCHOR_SHAPE, buildCausalLm, Checkpoint, llamaFlopsPerToken, loadSafetensors, parseCausalLmConfig, type LinearHook } from '../src/index.js';
import { fixture, ones, relativeError, row, run } from './helpers.js';

const ckpt = new Checkpoint(fixture('tiny-llama'));
const ref = loadSafetensors(fixture('tiny-llama', 'ref.safetensors'));
const V = 384;

test('logits match transformers within 1e-4 relative error', async () => {
  const session = await Runner.create(buildCausalLm(ckpt).toModel(), { externalDataDir: ckpt.externalDataDir });
  const out = await run(session, { input_ids: ref.input_ids, attention_mask: ones(ref.input_ids.dims) });
  expect(out.logits.dims).toEqual([2, 24, V]);
  expect(relativeError(out.logits.data as Float32Array, ref.logits.data as Float32Array)).toBeLessThan(1e-4);
});

test('every linear goes through the hook with its module path, and the hook can add graph inputs', async () => {
  const seen: string[] = [];
  const scaled: LinearHook = (module, x, weight) => {
    seen.push(module);
    const y = x.graph.op('MatMul', [x, x.graph.op('Transpose', [weight], { perm: [1, 0] })[0]])[0];
    if (module !== 'lm_head') return y;
    const scale = x.graph.input('head_scale', 'float32', [1]);
    return x.graph.op('Mul', [y, scale])[0];
  };
  const session = await Runner.create(buildCausalLm(ckpt, { linear: scaled }).toModel(), { externalDataDir: ckpt.externalDataDir });
  expect(seen).toContain('model.layers.0.self_attn.q_proj');
  expect(seen).toContain('model.layers.1.mlp.down_proj');
  expect(seen).toHaveLength(2 * 7 + 1);
  const out = await run(session, { input_ids: ref.input_ids, attention_mask: ones(ref.input_ids.dims), head_scale: hostTensor('float32', [1], [2]) });
  const doubled = Float32Array.from(ref.logits.data as Float32Array, (v) => 2 * v);
  expect(relativeError(out.logits.data as Float32Array, doubled)).toBeLessThan(1e-4);
});

test('left and right padding give each row the logits it has alone', async () => {
  const session = await Runner.create(buildCausalLm(ckpt, { hiddenStates: true }).toModel(), { externalDataDir: ckpt.externalDataDir });
  const a = row(ref.input_ids, 0).slice(0, 20);
  const b = row(ref.input_ids, 1).slice(0, 14);
  const single = async (ids: number[]) => (await run(session, { input_ids: hostTensor('int64', [1, ids.length], ids), attention_mask: ones([1, ids.length]) })).logits;
  const [la, lb] = [await single(a), await single(b)];
  const pad = 6;
  const batch = (left: boolean): Promise<Record<string, HostTensor>> => {
    const padIds = new Array(pad).fill(2);
    const ids = [...a, ...(left ? [...padIds, ...b] : [...b, ...padIds])];
    const mask = [...a.map(() => 1), ...(left ? [...padIds.map(() => 0), ...b.map(() => 1)] : [...b.map(() => 1), ...padIds.map(() => 0)])];
    return run(session, { input_ids: hostTensor('int64', [2, 20], ids), attention_mask: hostTensor('int64', [2, 20], mask) });
  };
  const right = (await batch(false)).logits.data as Float32Array;
  const left = await batch(true);
  const data = left.logits.data as Float32Array;
  expect(relativeError(data.subarray(0, 20 * V), la.data as Float32Array)).toBeLessThan(1e-4);
  expect(relativeError(data.subarray((20 + pad) * V, 40 * V), lb.data as Float32Array)).toBeLessThan(1e-4);
  expect(relativeError(right.subarray(20 * V, (20 + 14) * V), lb.data as Float32Array)).toBeLessThan(1e-4);
  expect(Object.keys(left).filter((k) => k.startsWith('hidden_states.'))).toHaveLength(3);
  expect(Number.isFinite(data[20 * V])).toBe(true); // padding rows stay finite
});

test('a row that is all padding, one slot long, beside a real token: the real row gets its logits', async () => {
  const session = await Runner.create(buildCausalLm(ckpt).toModel(), { externalDataDir: ckpt.externalDataDir });
  const first = row(ref.input_ids, 0)[0];
  const pair = await run(session, { input_ids: hostTensor('int64', [2, 1], [first, 0]), attention_mask: hostTensor('int64', [2, 1], [1, 0]) });
  const alone = await run(session, { input_ids: hostTensor('int64', [1, 1], [first]), attention_mask: ones([1, 1]) });
  expect(relativeError((pair.logits.data as Float32Array).subarray(0, V), alone.logits.data as Float32Array)).toBeLessThan(1e-6);
});

describe('attention in causal query blocks', () => {
  const logits = async (queryBlocks: number, feeds: Record<string, HostTensor>) => {
    const session = await Runner.create(buildCausalLm(ckpt, { queryBlocks }).toModel(), { externalDataDir: ckpt.externalDataDir });
    const out = (await run(session, feeds)).logits;
    await session.release();
    return out.data as Float32Array;
  };

  test.each([2, 3, 4])('%i blocks give the logits of one, padded rows included', async (blocks) => {
    // Row 0 left-padded by 5, row 1 right-padded by 3: every real position must match.
    const mask = Array.from({ length: 2 * 24 }, (_, i) => (i < 24 ? Number(i >= 5) : Number(i < 24 + 21)));
    const feeds = { input_ids: ref.input_ids, attention_mask: hostTensor('int64', [2, 24], mask) };
    const [one, blocked] = [await logits(1, feeds), await logits(blocks, feeds)];
    for (let p = 0; p < 2 * 24; p++) if (mask[p]) expect(relativeError(blocked.subarray(p * V, (p + 1) * V), one.subarray(p * V, (p + 1) * V))).toBeLessThan(1e-5);
    expect(relativeError(await logits(blocks, { input_ids: ref.input_ids, attention_mask: ones(ref.input_ids.dims) }), ref.logits.data as Float32Array)).toBeLessThan(1e-4);
  });

  test('rows shorter than the block count leave empty blocks and the same logits', async () => {
    const ids = row(ref.input_ids, 0).slice(0, 3);
    const feeds = { input_ids: hostTensor('int64', [1, 3], ids), attention_mask: ones([1, 3]) };
    expect(relativeError(await logits(4, feeds), await logits(1, feeds))).toBeLessThan(1e-5);
  });

  test('their FLOPs count 5/8 of the attention products for 4 blocks', () => {
    const attention = (o: { queryBlocks?: number }) => llamaFlopsPerToken(ANCHOR_SHAPE, { seq: 256, ...o }) - llamaFlopsPerToken(ANCHOR_SHAPE, { seq: 0 });
    expect(attention({ queryBlocks: 4 }) / attention({})).toBeCloseTo(5 / 8, 12);
    expect(attention({ queryBlocks: 1 })).toBe(attention({}));
  });

  test('a KV-cache graph refuses them, and so does a count that is not a positive integer', () => {
    expect(() => buildCausalLm(ckpt, { kvCache: true, queryBlocks: 2 })).toThrow(/queryBlocks 2 needs a graph without kvCache/);
    expect(() => buildCausalLm(ckpt, { queryBlocks: 0 })).toThrow(/queryBlocks must be a positive integer, got 0/);
  });
});

test('a bfloat16 graph gives no bfloat16 input to the ops CUDA has no bfloat16 kernel for', () => {
  const lm = buildCausalLm(ckpt, { dtype: 'bfloat16' });
  const dtypes = (node: { inputs: string[] }) => node.inputs.filter(Boolean).map((i) => lm.graph.value(i).dtype);
  const noKernel = new Set(['Cos', 'Sin', 'Reciprocal', 'ReduceMean', 'LogSoftmax', 'Softmax']);
  expect(lm.graph.nodes.filter((n) => noKernel.has(n.op) && dtypes(n).includes('bfloat16')).map((n) => n.name)).toEqual([]);
  expect(lm.graph.nodes.filter((n) => n.op === 'Gemm' && dtypes(n).includes('bfloat16')).length).toBe(2 * 7 + 1);
  expect(lm.logits.dtype).toBe('float32');
});

describe('config errors name the field', () => {
  const base = ckpt.config;
  test.each([
    [{ model_type: 'gpt2' }, /field 'model_type' is "gpt2"/],
    [{ hidden_act: 'gelu' }, /field 'hidden_act'/],
    [{ rope_parameters: { rope_theta: 1e4, rope_type: 'yarn' } }, /rope_parameters.rope_type' is 'yarn'/],
    [{ num_key_value_heads: 3 }, /field 'num_key_value_heads'/],
  ])('%j', (patch, message) => {
    expect(() => parseCausalLmConfig({ ...base, ...patch }, 'x/config.json')).toThrow(message);
  });

  test('Llama 3.1 rope_scaling and Qwen2 biases are read', () => {
    const llama31 = parseCausalLmConfig({ ...base, rope_parameters: undefined, rope_theta: 5e5, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } });
    expect(llama31.rope).toEqual({ theta: 5e5, llama3: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 } });
    const qwen = parseCausalLmConfig({ ...base, model_type: 'qwen2', tie_word_embeddings: true });
    expect([qwen.qkvBias, qwen.oBias, qwen.tieWordEmbeddings]).toEqual([true, false, true]);
  });
});
