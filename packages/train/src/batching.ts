import { mulberry32, shuffle } from '@codistill/util';

/**
 * The batches of one epoch, as example indices: shuffled (seed + epoch), then grouped by length
 * within windows of 50 batches so padding stays small, then the batch order shuffled again.
 * Deterministic for (seed, epoch), which is what lets a resumed run continue mid-epoch.
 */
export function epochBatches(lengths: number[], batchSize: number, seed: number, epoch: number): number[][] {
  const order = shuffle(lengths.map((_, i) => i), mulberry32(seed * 1000003 + epoch));
  const window = batchSize * 50;
  const batches: number[][] = [];
  for (let w = 0; w < order.length; w += window) {
    const chunk = order.slice(w, w + window).sort((a, b) => lengths[a] - lengths[b]);
    for (let b = 0; b < chunk.length; b += batchSize) batches.push(chunk.slice(b, b + batchSize));
  }
  return shuffle(batches, mulberry32(seed * 1000003 + epoch + 7));
}
