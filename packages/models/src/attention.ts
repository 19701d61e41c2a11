import { ops, type Value } from '@codistill/graph';
import type { ComputeDtype } from './config.js';

/** Most negative finite value: masked scores stay finite, so a fully masked (padding) row gives no NaN. */
export const MASKED: Record<ComputeDtype, number> = { float32: -3.4028234663852886e38, float16: -65504, bfloat16: -3.3895313892515355e38 };

/**
 * The last `seq` of `total` slots as int32 [seq], for int64 shape values (ops.shapeOf): the shape
 * arithmetic stays on the CPU as ONNX Runtime keeps it, the Range and what reads it run on the
 * GPU (WebGPU has no int64 kernels).
 */
export function lastSlots(total: Value, seq: Value): Value {
  const range = ops.rangeOp(ops.rangeBound(ops.sub(total, seq), 'int32'), ops.rangeBound(total, 'int32'), total.graph.scalar(1, 'int32'));
  // Shape inference cannot tell that the range is `seq` long; the reshape says so.
  return ops.reshape(range, seq);
}

/**
 * Additive attention bias [batch, 1, seq, total] for queries at the last `seq` of `total` slots:
 * a key is visible when it is not padding, not in the future and (with a window) not too old.
 * `mask` is the int32 attention mask [batch, total] (see maskAs); `queries` [batch, seq, ...].
 * The lengths come from these two, which are not transposed: ONNX Runtime's transpose optimiser
 * turns the Shape of a transposed value into an int64 Gather that WebGPU has no kernel for.
 */
export function attentionBias(mask: Value, queries: Value, dtype: ComputeDtype, window?: number): Value {
  const g = mask.graph;
  const total = ops.shapeOf(mask, 1, 2);
  const seq = ops.shapeOf(queries, 1, 2);
  const keyPos = ops.arange(total, 'int32');
  const queryPos = ops.unsqueeze(lastSlots(total, seq), [-1]);
  let visible = ops.lessOrEqual(keyPos, queryPos);
  if (window !== undefined) visible = ops.and(visible, ops.greater(keyPos, ops.sub(queryPos, window)));
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
