import { GraphBuilder, gelu, maskAs, ops, type ModelIR, type Value } from '@codistill/graph';
import { MASKED } from './attention.js';
import type { Checkpoint } from './checkpoint.js';
import { parseEncoderConfig, type EncoderConfig } from './config.js';
import { defaultLinear, type LinearHook } from './linear.js';

export interface EncoderOptions {
  /** Replaces every nn.Linear (see LinearHook). */
  linear?: LinearHook;
  /** Build into this graph instead of a new one (build-from-ids only). */
  graph?: GraphBuilder;
}

export interface EncoderGraph {
  graph: GraphBuilder;
  config: EncoderConfig;
  /** int64 [batch, seq] */
  inputIds: Value;
  /** int64 [batch, seq]: 1 for tokens, 0 for padding. */
  attentionMask: Value;
  /** float32 [batch, seq, hidden], also the graph output `last_hidden_state`. */
  lastHidden: Value;
  toModel(): ModelIR;
}

/** Checkpoints saved from RobertaFor* heads prefix the encoder's tensors with `roberta.`. */
const prefixOf = (ckpt: Checkpoint): string => (ckpt.has('roberta.embeddings.word_embeddings.weight') ? 'roberta.' : '');

interface Ctx {
  ckpt: Checkpoint;
  cfg: EncoderConfig;
  prefix: string;
  linear: LinearHook;
}

const weight = (c: Ctx, g: GraphBuilder, name: string, shape: number[]) => c.ckpt.weight(g, `${c.prefix}${name}`, 'float32', shape);

function dense(c: Ctx, module: string, x: Value, out: number, inp: number): Value {
  const g = x.graph;
  return c.linear(`${c.prefix}${module}`, x, weight(c, g, `${module}.weight`, [out, inp]), weight(c, g, `${module}.bias`, [out]));
}

function layerNorm(c: Ctx, name: string, x: Value): Value {
  const h = c.cfg.hiddenSize;
  return ops.layerNorm(x, weight(c, x.graph, `${name}.weight`, [h]), weight(c, x.graph, `${name}.bias`, [h]), c.cfg.layerNormEps);
}

function encoderLayer(c: Ctx, i: number, x: Value, bias: Value): Value {
  const { hiddenSize: h, numHeads: n, intermediateSize: m } = c.cfg;
  const p = `encoder.layer.${i}`;
  const heads = (name: string) => ops.transpose(ops.reshape(dense(c, `${p}.attention.self.${name}`, x, h, h), [0, 0, n, h / n]), [0, 2, 1, 3]);
  const q = ops.mul(heads('query'), 1 / Math.sqrt(h / n));
  const scores = ops.add(ops.matmul(q, ops.transpose(heads('key'), [0, 1, 3, 2])), bias);
  const context = ops.matmul(ops.softmax(scores, -1), heads('value'));
  const merged = ops.reshape(ops.transpose(context, [0, 2, 1, 3]), [0, 0, h]);
  const attended = layerNorm(c, `${p}.attention.output.LayerNorm`, ops.add(dense(c, `${p}.attention.output.dense`, merged, h, h), x));
  const inner = gelu(dense(c, `${p}.intermediate.dense`, attended, m, h));
  return layerNorm(c, `${p}.output.LayerNorm`, ops.add(dense(c, `${p}.output.dense`, inner, h, m), attended));
}

function context(ckpt: Checkpoint, opts: EncoderOptions): Ctx {
  const cfg = parseEncoderConfig(ckpt.config, `${ckpt.dir}/config.json`);
  return { ckpt, cfg, prefix: prefixOf(ckpt), linear: opts.linear ?? defaultLinear };
}

/**
 * RoBERTa's encoder from input embeddings [batch, seq, hidden] (float32) and a 0/1 attention
 * mask [batch, seq] (int64 or int32): adds learned positions and token type 0, LayerNorm, then the layers. Returns
 * the last hidden state. Positions count real tokens from pad_id + 1 and padding gets pad_id,
 * which equals transformers' ids-based positions when the mask is `ids != pad_id`; soft
 * embeddings (the structural loss) use this entry point directly.
 */
export function encodeEmbeddings(ckpt: Checkpoint, inputsEmbeds: Value, attentionMask: Value, opts: EncoderOptions = {}): Value {
  const c = context(ckpt, opts);
  const g = inputsEmbeds.graph;
  const { hiddenSize: h, padTokenId: pad } = c.cfg;
  // In int32, which WebGPU has kernels for (int64 it has not).
  const mask = maskAs(attentionMask, 'int32');
  const positions = ops.add(ops.mul(ops.cumSum(mask, 1), mask), pad);
  const posEmbed = ops.gather(weight(c, g, 'embeddings.position_embeddings.weight', [c.cfg.maxPositions, h]), positions, 0);
  const typeEmbed = ops.gather(weight(c, g, 'embeddings.token_type_embeddings.weight', [c.cfg.typeVocabSize, h]), g.constant([0], 'int64', []), 0);
  let x = layerNorm(c, 'embeddings.LayerNorm', ops.add(ops.add(inputsEmbeds, typeEmbed), posEmbed));
  const visible = ops.unsqueeze(ops.cast(mask, 'bool'), [1, 2]);
  const bias = ops.where(visible, g.scalar(0), g.scalar(MASKED.float32));
  for (let i = 0; i < c.cfg.numLayers; i++) x = g.scope(`layer.${i}`, () => encoderLayer(c, i, x, bias));
  return x;
}

/** RoBERTa's word embeddings of int64 ids [batch, seq]: the table lookup before `encodeEmbeddings`. */
export function wordEmbeddings(ckpt: Checkpoint, inputIds: Value): Value {
  const c = context(ckpt, {});
  return ops.gather(weight(c, inputIds.graph, 'embeddings.word_embeddings.weight', [c.cfg.vocabSize, c.cfg.hiddenSize]), inputIds, 0);
}

/** The encoder graph from ids: inputs `input_ids`, `attention_mask`; output `last_hidden_state`. */
export function buildEncoder(ckpt: Checkpoint, opts: EncoderOptions = {}): EncoderGraph {
  const config = parseEncoderConfig(ckpt.config, `${ckpt.dir}/config.json`);
  const g = opts.graph ?? new GraphBuilder('roberta-encoder');
  const inputIds = g.input('input_ids', 'int64', ['batch', 'seq']);
  const attentionMask = g.input('attention_mask', 'int64', ['batch', 'seq']);
  const hidden = encodeEmbeddings(ckpt, wordEmbeddings(ckpt, inputIds), attentionMask, opts);
  const lastHidden = g.output(hidden, 'last_hidden_state');
  return { graph: g, config, inputIds, attentionMask, lastHidden, toModel: () => g.toModel({ source: ckpt.dir, model_type: 'roberta' }) };
}
