import { mapRowChunks, ops, type GraphBuilder, type NodeDef, type RowChunkOptions, type Value } from '@codistill/graph';
import { encodeEmbeddings, type Checkpoint } from '@codistill/models';
import type { Bridge } from './bridge.js';
import { pool, type Pooling } from './pooling.js';

export interface SoftCodeInputs {
  /** Student logits [B, T, V]. */
  logits: Value;
  /** int32 or int64 [B * C]: flat positions (b * T + t) whose predictions are code tokens, C per row, padded. */
  codePositions: Value;
  /** int32 or int64 [B, C]: 1 for real code positions, 0 for padding. */
  codeMask: Value;
}

/** The student's final hidden states and frozen head in place of its logits (see chunkedSoftCodeEmbedding). */
export interface SoftCodeHeadInputs extends Omit<SoftCodeInputs, 'logits'> {
  /** The final normed hidden states [B, T, H]. */
  hidden: Value;
  /** The LM head's weight [V, H]. */
  headWeight: Value;
}

export interface ChunkedSoftCode {
  /** [B, d], as softCodeEmbedding's. */
  embedding: Value;
  /** Each chunk's nodes: recompute them (TrainStep's recompute, any policy) so the backward pass holds one chunk too. */
  chunks: NodeDef[][];
}

/** The bridge matrix [V, d] as a graph weight, once per graph. */
function bridgeTable(g: GraphBuilder, bridge: Bridge): Value {
  if (g.has('codebert_bridge')) return g.value('codebert_bridge');
  const { file, entry } = bridge;
  return g.initializer({ name: 'codebert_bridge', dtype: 'float32', dims: [bridge.studentVocab, bridge.dim], external: { location: file, offset: entry.offset, length: entry.length } });
}

/** Soft CodeBERT input embeddings [B * C, d] of predictions `logits` [B * C, V]: softmax times the bridge. */
const softRows = (logits: Value, table: Value): Value => ops.matmul(ops.softmax(ops.cast(logits, 'float32'), -1), table);

/** The frozen encoder (spliced into the graph) and pooling over soft input embeddings [B * C, d]. */
function encodeSoft(codebert: Checkpoint, bridge: Bridge, soft: Value, codeMask: Value, pooling: Pooling): Value {
  const embeds = ops.reshape(soft, ops.concat([ops.shapeOf(codeMask), soft.graph.int64s([bridge.dim])], 0));
  return pool(encodeEmbeddings(codebert, embeds, codeMask), codeMask, pooling);
}

function checkVocab(bridge: Bridge, vocab: number | string | undefined, what: string): void {
  if (vocab !== bridge.studentVocab) throw new Error(`bridge has ${bridge.studentVocab} rows, the student's ${what} ${vocab}`);
}

/**
 * The differentiable CodeBERT embedding of the student's soft code: at each code position the
 * student's softmax P times the bridge gives a soft CodeBERT input embedding; the frozen encoder
 * (spliced into the graph) and pooling give [B, d]. Gradients reach the student through P.
 * C must stay within CodeBERT's positions: see sequenceCapacity.
 */
export function softCodeEmbedding(codebert: Checkpoint, bridge: Bridge, inputs: SoftCodeInputs, pooling: Pooling = 'mean'): Value {
  const { logits, codePositions, codeMask } = inputs;
  checkVocab(bridge, logits.shape[2], 'logits');
  const rows = ops.gather(ops.reshape(logits, [-1, bridge.studentVocab]), codePositions, 0);
  return encodeSoft(codebert, bridge, softRows(rows, bridgeTable(logits.graph, bridge)), codeMask, pooling);
}

/**
 * softCodeEmbedding from the final hidden states and the frozen head: logits are made for code
 * positions only, `chunkRows` of them at a time, so neither the [B, T, V] logits nor the code
 * rows' [B * C, V] logits and probabilities are held whole. With its chunks recomputed in the
 * backward pass, the structural loss holds chunkRows x V floats at a time, as the chunked token
 * loss does. `maxRows` bounds B * C (batch size x CodeBERT's sequenceCapacity).
 */
export function chunkedSoftCodeEmbedding(codebert: Checkpoint, bridge: Bridge, inputs: SoftCodeHeadInputs, opts: RowChunkOptions, pooling: Pooling = 'mean'): ChunkedSoftCode {
  const { hidden, headWeight, codePositions, codeMask } = inputs;
  checkVocab(bridge, headWeight.shape[0], 'head');
  const rows = ops.gather(ops.reshape(hidden, [-1, headWeight.shape[1] as number]), codePositions, 0);
  const table = bridgeTable(hidden.graph, bridge);
  const { outputs, chunks } = mapRowChunks(rows, opts, (chunk) => [softRows(ops.gemm(chunk, headWeight, { transB: 1 }), table)]);
  return { embedding: encodeSoft(codebert, bridge, outputs[0], codeMask, pooling), chunks };
}
/**
 * Host-side layout of code positions for softCodeEmbedding: flat indices and mask (int32, the
 * trainer's feeds: WebGPU has no int64 arithmetic), C = longest span, at most `cap`.
 */
export function codePositionFeeds(spans: { start: number; end: number }[], seq: number, cap: number) {
  const C = Math.max(1, ...spans.map((s) => Math.min(s.end - s.start, cap)));
  const positions = new Int32Array(spans.length * C);
  const mask = new Int32Array(spans.length * C);
  spans.forEach((s, b) => {
    const n = Math.min(s.end - s.start, cap);
    for (let i = 0; i < n; i++) {
      positions[b * C + i] = b * seq + s.start + i;
      mask[b * C + i] = 1;
    }
  });
  return { positions, mask, C };
}
