import { ops, type Value } from '@codistill/graph';

/** Most negative finite value: masked scores stay finite, so a fully masked (padding) row gives no NaN. */
export const MASKED = { float32: -3.4028234663852886e38, float16: -65504 } as const;

/**
 * Additive attention bias [batch, 1, seq, total] for queries at the last `seq` of `total` slots:
 * a key is visible when it is not padding, not in the future and (with a window) not too old.
 * `mask` is the int64 attention mask [batch, total]; `keys` a value whose axis 2 is `total`.
 */
export function attentionBias(mask: Value, keys: Value, queries: Value, dtype: 'float32' | 'float16', window?: number): Value {
  const g = mask.graph;
  const total = ops.shapeOf(keys, 2, 3);
  const seq = ops.shapeOf(queries, 1, 2);
  const keyPos = ops.arange(total);
  const queryPos = ops.unsqueeze(ops.add(ops.arange(seq), ops.sub(total, seq)), [-1]);
  let visible = ops.lessOrEqual(keyPos, queryPos);
  if (window !== undefined) visible = ops.and(visible, ops.greater(keyPos, ops.sub(queryPos, g.constant([window], 'int64', []))));
  const notPadding = ops.unsqueeze(ops.cast(mask, 'bool'), [1, 2]);
  const allowed = ops.and(ops.unsqueeze(visible, [0, 1]), notPadding);
  return ops.where(allowed, g.scalar(0, dtype), g.scalar(MASKED[dtype], dtype));
}

/**
 * Scaled dot-product attention with grouped KV heads, without copying K/V per query head:
 * q [B, kvHeads, group, T, D] against k, v [B, kvHeads, S, D]; softmax in float32.
 * Returns [B, kvHeads, group, T, D].
 */
export function groupedAttention(q: Value, k: Value, v: Value, bias: Value): Value {
  const d = q.shape[q.rank - 1] as number;
  const scores = ops.matmul(ops.mul(q, 1 / Math.sqrt(d)), ops.unsqueeze(ops.transpose(k, [0, 1, 3, 2]), [2]));
  const probs = ops.softmax(ops.cast(ops.add(scores, ops.unsqueeze(bias, [1])), 'float32'), -1);
  return ops.matmul(ops.cast(probs, v.dtype), ops.unsqueeze(v, [2]));
}
