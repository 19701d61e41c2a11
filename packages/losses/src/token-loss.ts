import { gatherRows, hostTensor, linearCrossEntropy, maskedCrossEntropy, ops, type CrossEntropy, type HostTensor, type LinearCrossEntropyOptions, type Value } from '@codistill/graph';

/**
 * Token loss over a causal LM's logits [B, T, V]. `labels` [B, T] are the inputs shifted left
 * (position t predicts token t+1, as transformers does) and `weights` [B, T] say which
 * predictions count (target spans 1, question and padding 0). Shifting on the host keeps the
 * graph from slicing the [B, T, V] logits, which would copy them.
 */
export const tokenLoss = (logits: Value, labels: Value, weights: Value): CrossEntropy =>
  maskedCrossEntropy(logits, labels, weights);

export interface ChunkedTokenLossOptions extends LinearCrossEntropyOptions {
  /**
   * int32 [M]: the positions (b * T + t) whose predictions are in the loss (weight > 0; at least
   * one: a batch without any feeds one of weight 0). Only their hidden rows go through the head,
   * so the prompt's and the padding's logits are never made; `nll` is then per scored position.
   */
  rows?: Value;
}

/**
 * tokenLoss from the final normed hidden states [B, T, H] and the frozen LM head weight [V, H]
 * instead of the logits: the same loss and hidden-state gradient, computed `chunkRows` positions
 * at a time (linearCrossEntropy), so the training graph never holds the [B*T, V] logits, their
 * log-probabilities and their gradient (1 GiB each at 2,048 tokens x 128,256 vocab). The head
 * gets no gradient (LoRA on lm_head needs tokenLoss). With symbolic [B, T], `maxRows` bounds
 * B * T (e.g. batchSize * maxLength).
 */
export function chunkedTokenLoss(hidden: Value, headWeight: Value, labels: Value, weights: Value, opts: ChunkedTokenLossOptions): CrossEntropy {
  const { rows, ...chunking } = opts;
  if (!rows) return linearCrossEntropy(hidden, headWeight, labels, weights, chunking);
  const scored = (v: Value) => ops.gather(ops.reshape(v, [-1]), rows, 0);
  const h = gatherRows(ops.reshape(hidden, [-1, headWeight.shape[1] as number]), rows);
  return linearCrossEntropy(h, headWeight, scored(labels), scored(weights), chunking);
}

/** The feed of ChunkedTokenLossOptions.rows for flat weights [B * T]: the positions with weight > 0, or position 0 when there are none (int32 [M]). */
export function scoredRows(weights: ArrayLike<number>): HostTensor {
  const rows: number[] = [];
  for (let i = 0; i < weights.length; i++) if (weights[i] > 0) rows.push(i);
  if (!rows.length) rows.push(0);
  return hostTensor('int32', [rows.length], rows);
}

export interface ShiftedLabels {
  labels: BigInt64Array;
  weights: Float32Array;
}

/**
 * transformers' shift: the prediction at t is scored against ids[t + 1] when that token is in the
 * loss (`inLoss[t + 1]` > 0, used as its weight). The last position predicts nothing.
 */
export function shiftLabels(ids: ArrayLike<number>, inLoss: ArrayLike<number>, batch: number, seq: number): ShiftedLabels {
  const labels = new BigInt64Array(batch * seq);
  const weights = new Float32Array(batch * seq);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t + 1 < seq; t++) {
      const next = b * seq + t + 1;
      labels[b * seq + t] = BigInt(ids[next]);
      weights[b * seq + t] = inLoss[next];
    }
  }
  return { labels, weights };
}
