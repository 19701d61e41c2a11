import { maskAs, ops, type Value } from '@codistill/graph';

export type Pooling = 'mean' | 'cls';

/** Pool hidden states [B, T, d] to [B, d]: mean over positions where mask [B, T] is 1, or position 0. */
export function pool(hidden: Value, mask: Value, pooling: Pooling): Value {
  if (pooling === 'cls') return ops.squeeze(ops.slice(hidden, [0], [1], [1]), [1]);
  const m = ops.unsqueeze(maskAs(mask, hidden.dtype), [-1]);
  // The epsilon keeps a row without positions (no code span) at zero instead of NaN.
  return ops.div(ops.reduceSum(ops.mul(hidden, m), [1], false), ops.add(ops.reduceSum(m, [1], false), 1e-9));
}

/** Cosine similarity of two vectors. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / (Math.sqrt(na * nb) + 1e-12);
}

/**
 * Tokens one RoBERTa sequence holds: positions run from pad_id + 1 up to max_position_embeddings - 1
 * (514 and pad 1 for CodeBERT: 512 tokens, <s> and </s> included).
 */
export function sequenceCapacity(config: Record<string, unknown>): number {
  return Number(config.max_position_embeddings ?? 514) - Number(config.pad_token_id ?? 1) - 1;
}
