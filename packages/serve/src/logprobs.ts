/** One token with its log-probability (null: the first prompt token, which has no context) and its best alternatives. */
export interface TokenLogprob {
  id: number;
  logprob: number | null;
  top: Array<[id: number, logprob: number]>;
}

/** The `k` most likely tokens of one step's logits, with their log-softmax values, and that step's log-normaliser. */
export function logSoftmaxTop(logits: Float32Array, k: number): { logZ: number; top: Array<[number, number]> } {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const logZ = max + Math.log(sum);
  // Insertion into a sorted list of k: O(vocab * k) with k <= 20, no full sort of a 150k vocabulary.
  const best: number[] = [];
  for (let i = 0; i < logits.length && k > 0; i++) {
    if (best.length === k && logits[i] <= logits[best[k - 1]]) continue;
    let at = best.length;
    while (at > 0 && logits[best[at - 1]] < logits[i]) at--;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
  }
  return { logZ, top: best.map((i) => [i, logits[i] - logZ]) };
}
