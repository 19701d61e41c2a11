import { GraphBuilder, maskAs, ops, rmsNorm, silu, type ModelIR, type NodeDef, type Value } from '@codistill/graph';
import { attentionBias, groupedAttention, lastSlots } from './attention.js';
import type { Checkpoint } from './checkpoint.js';
import { parseCausalLmConfig, type CausalLmConfig, type ComputeDtype } from './config.js';
import { defaultLinear, type LinearHook } from './linear.js';
import { applyRope, inverseFrequencies, ropeTables, type RopeTables } from './rope.js';

export interface CausalLmOptions {
  /** Replaces every nn.Linear (see LinearHook); LoRA plugs in here. */
  linear?: LinearHook;
  /**
   * Dtype the graph computes in (weights stored otherwise are cast once at load). Default float32.
   * Norms, RoPE tables, attention softmax, LoRA and the logits stay float32 in every case: the ops
   * ONNX Runtime's CUDA provider has no bfloat16 kernel for (Cos, Sin, Reciprocal, ReduceMean,
   * LogSoftmax) only ever see float32.
   */
  dtype?: ComputeDtype;
  /**
   * Past keys/values as inputs `past_key_values.{i}.key|value` and this run's new positions as
   * outputs `new_key_values.{i}.key|value`, both time-major [positions, batch, kvHeads, headDim]
   * (see KvCache: appending is a contiguous write, and no whole cache leaves the graph).
   */
  kvCache?: boolean;
  /**
   * 'all' positions (training, perplexity) or only the 'last' one (generation). Default 'all'.
   * 'none' builds no head: ONNX Runtime runs every node of a graph, fetched or not, so a loss
   * computed from lastHidden and headWeight in chunks (linearCrossEntropy) needs the full
   * logits absent, not just unused.
   */
  logits?: 'all' | 'last' | 'none';
  /** Also output `hidden_states.{i}` (embeddings, each layer, and the final normed state, like transformers). */
  hiddenStates?: boolean;
  /** Build into this graph instead of a new one. */
  graph?: GraphBuilder;
  /**
   * Attention in this many blocks of queries, each against the keys up to its end (see
   * causalBlocks in attention.ts); without a KV cache only. Default 1. On long rows it saves
   * memory and time: at Llama-3.1-8B width, T = 2048, one layer with layer checkpointing, 4 blocks
   * took the step's peak from 7,674 to 6,139 MiB at 75 against 68 tokens/s (2-core AMD EPYC VM,
   * 2026-12-02; README); on the 58M model's 256-token rows no time was saved and the peak rose
   * 30-126 MiB. The trainer's attention_query_blocks sets it.
   */
  queryBlocks?: number;
}

export interface CausalLmGraph {
  graph: GraphBuilder;
  config: CausalLmConfig;
  /** int64 [batch, seq] */
  inputIds: Value;
  /** int64 [batch, past + seq]: 1 for tokens, 0 for padding (left or right). */
  attentionMask: Value;
  /** float32 [batch, seq or 1, vocab], also the graph output `logits`. */
  logits: Value;
  /** The final normed hidden state [batch, seq, hidden] (compute dtype). */
  lastHidden: Value;
  /**
   * The LM head's weight [vocab, hidden] (the embedding when tied), as the `linear` hook received
   * it: with lastHidden, what a loss computed from the head in chunks (linearCrossEntropy) needs.
   */
  headWeight: Value;
  hiddenStates: Value[];
  /** Each decoder layer's nodes (LoRA's included): the segments gradient checkpointing recomputes. */
  layers: NodeDef[][];
  toModel(): ModelIR;
}

/** The graph without the head's logits (`logits: 'none'`). */
export type CausalLmBody = Omit<CausalLmGraph, 'logits'>;

/** Symbols of the graph's dynamic dims; the mask's length is the concatenated key length. */
const DIMS = { batch: 'batch', seq: 'seq', past: 'past', total: 'past+seq' } as const;

interface LayerContext {
  ckpt: Checkpoint;
  cfg: CausalLmConfig;
  linear: LinearHook;
  dtype: ComputeDtype;
  rope: RopeTables;
  kvCache: boolean;
  queryBlocks: number;
  /** The additive attention bias every layer shares. */
  bias: Value;
}

/**
 * Positions (int32) of the new tokens: the running count of real tokens before each slot
 * (cumsum - 1), as transformers' generate computes them, so a left-padded row gets the positions
 * it would have alone; padding slots get 1. With a cache only the last `seq` of the mask's slots
 * are new. `mask` is int32 (see maskAs).
 */
function positionIds(mask: Value, inputIds: Value): Value {
  const counted = ops.sub(ops.cumSum(mask, 1), 1);
  const all = ops.where(ops.equal(mask, 0), 1, counted);
  if (mask.shape[1] === inputIds.shape[1]) return all;
  return ops.gather(all, lastSlots(ops.shapeOf(mask, 1, 2), ops.shapeOf(inputIds, 1, 2)), 1);
}

/** The query blocks of a graph (1 with a KV cache), or an error naming the option. */
function queryBlocksOf(opts: CausalLmOptions): number {
  if (opts.kvCache) {
    if (opts.queryBlocks !== undefined && opts.queryBlocks !== 1) throw new Error(`buildCausalLm: queryBlocks ${opts.queryBlocks} needs a graph without kvCache (its queries are not at the keys' positions)`);
    return 1;
  }
  const blocks = opts.queryBlocks ?? 1;
  if (!Number.isInteger(blocks) || blocks < 1) throw new Error(`buildCausalLm: queryBlocks must be a positive integer, got ${opts.queryBlocks}`);
  return blocks;
}

function linearOf(c: LayerContext, module: string, x: Value, outIn: [number, number], bias: boolean): Value {
  const g = x.graph;
  const w = c.ckpt.weight(g, `${module}.weight`, c.dtype, outIn);
  const b = bias ? c.ckpt.weight(g, `${module}.bias`, c.dtype, [outIn[0]]) : undefined;
  return c.linear(module, x, w, b);
}

function selfAttention(c: LayerContext, i: number, x: Value): Value {
  const { cfg } = c;
  const g = x.graph;
  const p = `model.layers.${i}.self_attn`;
  const [h, kvH, d] = [cfg.numHeads, cfg.numKvHeads, cfg.headDim];
  const group = h / kvH;
  const proj = (name: string, heads: number) => linearOf(c, `${p}.${name}`, x, [heads * d, cfg.hiddenSize], cfg.qkvBias);
  // [B, T, heads * D] -> [B, heads, T, D], rotated; q's heads then split as [kvH, group] (a view).
  const heads = (name: string, n: number) => ops.transpose(ops.reshape(proj(name, n), [0, 0, n, d]), [0, 2, 1, 3]);
  const qr = ops.reshape(applyRope(heads('q_proj', h), c.rope), [0, kvH, group, -1, d]);
  let k = applyRope(heads('k_proj', kvH), c.rope);
  let v = heads('v_proj', kvH);
  if (c.kvCache) {
    const cached = (kind: string, fresh: Value) => {
      const past = g.input(`past_key_values.${i}.${kind}`, c.dtype, [DIMS.past, DIMS.batch, kvH, d]);
      const added = g.output(ops.transpose(fresh, [2, 0, 1, 3]), `new_key_values.${i}.${kind}`);
      return ops.transpose(ops.concat([past, added], 0), [1, 2, 0, 3]);
    };
    k = cached('key', k);
    v = cached('value', v);
  }
  const out = groupedAttention(qr, k, v, c.bias, c.queryBlocks);
  const merged = ops.reshape(ops.transpose(out, [0, 3, 1, 2, 4]), [0, 0, h * d]);
  return linearOf(c, `${p}.o_proj`, merged, [cfg.hiddenSize, h * d], cfg.oBias);
}

function mlp(c: LayerContext, i: number, x: Value): Value {
  const { cfg } = c;
  const p = `model.layers.${i}.mlp`;
  const up = (name: string) => linearOf(c, `${p}.${name}`, x, [cfg.intermediateSize, cfg.hiddenSize], cfg.mlpBias);
  const act = ops.mul(silu(up('gate_proj')), up('up_proj'));
  return linearOf(c, `${p}.down_proj`, act, [cfg.hiddenSize, cfg.intermediateSize], cfg.mlpBias);
}

function norm(c: LayerContext, name: string, x: Value): Value {
  return rmsNorm(x, c.ckpt.weight(x.graph, `${name}.weight`, c.dtype, [c.cfg.hiddenSize]), c.cfg.rmsNormEps);
}

/**
 * The causal LM graph of a Llama-family checkpoint (Llama incl. 3.1 RoPE scaling, Qwen2,
 * Mistral): RMSNorm, RoPE, grouped-query attention, SwiGLU MLP, tied or untied head.
 * Position ids follow the attention mask (cumsum - 1), as transformers' generate does, so
 * left-padded rows get the positions they would have alone.
 */
export function buildCausalLm(ckpt: Checkpoint, opts: CausalLmOptions & { logits: 'none' }): CausalLmBody;
export function buildCausalLm(ckpt: Checkpoint, opts?: CausalLmOptions & { logits?: 'all' | 'last' }): CausalLmGraph;
export function buildCausalLm(ckpt: Checkpoint, opts: CausalLmOptions): CausalLmBody & { logits?: Value };
export function buildCausalLm(ckpt: Checkpoint, opts: CausalLmOptions = {}): CausalLmBody & { logits?: Value } {
  const cfg = parseCausalLmConfig(ckpt.config, `${ckpt.dir}/config.json`);
  const dtype = opts.dtype ?? 'float32';
  const g = opts.graph ?? new GraphBuilder(`${cfg.modelType}-causal-lm`);
  const kvCache = opts.kvCache ?? false;
  const inputIds = g.input('input_ids', 'int64', [DIMS.batch, DIMS.seq]);
  const maskInput = g.input('attention_mask', 'int64', [DIMS.batch, kvCache ? DIMS.total : DIMS.seq]);
  // The position and mask arithmetic in int32, which WebGPU has kernels for (int64 it has not).
  const mask = maskAs(maskInput, 'int32');
  const rope = ropeTables(positionIds(mask, inputIds), inverseFrequencies(cfg.rope, cfg.headDim), dtype);
  const bias = attentionBias(mask, inputIds, dtype, cfg.slidingWindow);
  const c: LayerContext = { ckpt, cfg, linear: opts.linear ?? defaultLinear, dtype, rope, kvCache, bias, queryBlocks: queryBlocksOf(opts) };

  const embed = ckpt.weight(g, 'model.embed_tokens.weight', dtype, [cfg.vocabSize, cfg.hiddenSize]);
  let x = ops.gather(embed, inputIds, 0);
  const hiddenStates = [x];
  const layers: NodeDef[][] = [];
  for (let i = 0; i < cfg.numLayers; i++) {
    const start = g.nodes.length;
    x = g.scope(`layers.${i}`, () => {
      const h = ops.add(x, selfAttention(c, i, norm(c, `model.layers.${i}.input_layernorm`, x)));
      return ops.add(h, mlp(c, i, norm(c, `model.layers.${i}.post_attention_layernorm`, h)));
    });
    layers.push(g.nodes.slice(start));
    hiddenStates.push(x);
  }
  const lastHidden = norm(c, 'model.norm', x);
  hiddenStates[hiddenStates.length - 1] = lastHidden;
  const headInput = opts.logits === 'last' ? ops.slice(lastHidden, [-1], [ops.END], [1]) : lastHidden;
  const headWeight = cfg.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  const head = ckpt.weight(g, headWeight, dtype, [cfg.vocabSize, cfg.hiddenSize]);
  const logits = opts.logits === 'none' ? undefined : g.output(ops.cast(c.linear('lm_head', headInput, head), 'float32'), 'logits');
  if (opts.hiddenStates) hiddenStates.forEach((h, i) => g.output(h, `hidden_states.${i}`));
  return {
    graph: g,
    config: cfg,
    inputIds,
    attentionMask: maskInput,
    logits,
    lastHidden,
    headWeight: head,
    hiddenStates,
    layers,
    toModel: () => g.toModel({ source: ckpt.dir, model_type: cfg.modelType }),
  };
}
