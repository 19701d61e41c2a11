import { ops, type Value } from '@codistill/graph';
import { encodeEmbeddings, type Checkpoint } from '@codistill/models';
import type { Bridge } from './bridge.js';
import { pool, type Pooling } from './pooling.js';

export interface SoftCodeInputs {
  /** Student logits [B, T, V]. */
  logits: Value;
  /** int64 [B * C]: flat positions (b * T + t) whose predictions are code tokens, C per row, padded. */
  codePositions: Value;
  /** int64 [B, C]: 1 for real code positions, 0 for padding. */
  codeMask: Value;
}

/**
 * The differentiable CodeBERT embedding of the student's soft code: at each code position the
 * student's softmax P times the bridge gives a soft CodeBERT input embedding; the frozen encoder
 * (spliced into the graph) and pooling give [B, d]. Gradients reach the student through P.
 * C must stay within CodeBERT's positions: see sequenceCapacity.
 */
export function softCodeEmbedding(codebert: Checkpoint, bridge: Bridge, inputs: SoftCodeInputs, pooling: Pooling = 'mean'): Value {
  const { logits, codePositions, codeMask } = inputs;
  const g = logits.graph;
  const V = logits.shape[2];
  if (V !== bridge.studentVocab) throw new Error(`bridge has ${bridge.studentVocab} rows, the student's logits ${V}`);
  const rows = ops.gather(ops.reshape(ops.cast(logits, 'float32'), [-1, bridge.studentVocab]), codePositions, 0);
  const table = g.initializer({
    name: 'codebert_bridge',
    dtype: 'float32',
    dims: [bridge.studentVocab, bridge.dim],
    external: { location: bridge.file, offset: bridge.entry.offset, length: bridge.entry.length },
  });
  const soft = ops.matmul(ops.softmax(rows, -1), table);
  const embeds = ops.reshape(soft, ops.concat([ops.shapeOf(codeMask), g.int64s([bridge.dim])], 0));
  return pool(encodeEmbeddings(codebert, embeds, codeMask), codeMask, pooling);
}

/** Host-side layout of code positions for softCodeEmbedding: flat indices and mask, C = longest span, at most `cap`. */
export function codePositionFeeds(spans: { start: number; end: number }[], seq: number, cap: number) {
  const C = Math.max(1, ...spans.map((s) => Math.min(s.end - s.start, cap)));
  const positions = new BigInt64Array(spans.length * C);
  const mask = new BigInt64Array(spans.length * C);
  spans.forEach((s, b) => {
    const n = Math.min(s.end - s.start, cap);
    for (let i = 0; i < n; i++) {
      positions[b * C + i] = BigInt(b * seq + s.start + i);
      mask[b * C + i] = 1n;
    }
  });
  return { positions, mask, C };
}
