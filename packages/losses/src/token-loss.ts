import { linearCrossEntropy, maskedCrossEntropy, type CrossEntropy, type LinearCrossEntropyOptions, type Value } from '@codistill/graph';

/**
 * Token loss over a causal LM's logits [B, T, V]. `labels` [B, T] are the inputs shifted left
 * (position t predicts token t+1, as transformers does) and `weights` [B, T] say which
 * predictions count (target spans 1, question and padding 0). Shifting on the host keeps the
 * graph from slicing the [B, T, V] logits, which would copy them.
 */
export const tokenLoss = (logits: Value, labels: Value, weights: Value): CrossEntropy =>
  maskedCrossEntropy(logits, labels, weights);

/**
 * tokenLoss from the final normed hidden states [B, T, H] and the frozen LM head weight [V, H]
 * instead of the logits: the same loss and hidden-state gradient, computed `chunkRows` positions
 * at a time (linearCrossEntropy), so the training graph never holds the [B*T, V] logits, their
 * log-probabilities and their gradient (1 GiB each at 2,048 tokens x 128,256 vocab). The head
 * gets no gradient (LoRA on lm_head needs tokenLoss). With symbolic [B, T], `maxRows` bounds
 * B * T (e.g. batchSize * maxLength).
 */
export const chunkedTokenLoss = (hidden: Value, headWeight: Value, labels: Value, weights: Value, opts: LinearCrossEntropyOptions): CrossEntropy =>
  linearCrossEntropy(hidden, headWeight, labels, weights, opts);

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
