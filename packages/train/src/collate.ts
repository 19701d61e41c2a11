import { hostTensor, type HostTensor } from '@codistill/graph';
import { codePositionFeeds } from '@codistill/codebert';
import { scoredRows, shiftLabels } from '@codistill/losses';
import type { TokenizedExample } from './data.js';

/** The feed of the positions the chunked token loss scores (see chunkedTokenLoss's `rows`). */
export const LOSS_ROWS = 'loss_rows';

export interface CollateOptions {
  padId: number;
  /** Feed LOSS_ROWS: the graph sends only the scored positions through the LM head. */
  lossRows?: boolean;
  /** Ground-truth CodeBERT embeddings per example id (structural loss), each of `dim` values. */
  groundTruth?: Map<string, Float32Array>;
  dim?: number;
  /** Code positions the CodeBERT encoder holds (sequenceCapacity of its config). */
  codeCapacity?: number;
}

export interface Collated {
  feeds: Record<string, HostTensor>;
  /** Real (not padding) tokens. */
  tokens: number;
  /** Rows whose code span survived the length limit. */
  codeRows: number;
}

/** Right-padded feeds for one batch: ids, mask, shifted labels and weights, and the code positions. */
export function collate(batch: TokenizedExample[], opts: CollateOptions): Collated {
  const B = batch.length;
  const T = Math.max(...batch.map((e) => e.ids.length));
  const ids: number[] = [];
  const mask: number[] = [];
  const inLoss: number[] = [];
  for (const e of batch) {
    const pad = T - e.ids.length;
    ids.push(...e.ids, ...new Array(pad).fill(opts.padId));
    mask.push(...e.ids.map(() => 1), ...new Array(pad).fill(0));
    inLoss.push(...e.ids.map((_, t) => (t >= e.targetStart ? 1 : 0)), ...new Array(pad).fill(0));
  }
  const { labels, weights } = shiftLabels(ids, inLoss, B, T);
  const feeds: Record<string, HostTensor> = {
    input_ids: hostTensor('int64', [B, T], ids),
    attention_mask: hostTensor('int64', [B, T], mask),
    labels: hostTensor('int32', [B, T], Int32Array.from(labels, Number)),
    loss_weights: hostTensor('float32', [B, T], weights),
  };
  if (opts.lossRows) feeds[LOSS_ROWS] = scoredRows(weights);
  if (opts.groundTruth) {
    // Token t is predicted at position t - 1: the code span's predictions sit one slot earlier.
    const spans = batch.map((e) => (e.spans.code ? { start: e.spans.code.start - 1, end: e.spans.code.end - 1 } : { start: 0, end: 0 }));
    const { positions, mask: codeMask, C } = codePositionFeeds(spans, T, opts.codeCapacity!);
    const d = opts.dim!;
    const gt = new Float32Array(B * d);
    batch.forEach((e, b) => gt.set(opts.groundTruth!.get(e.id) ?? new Float32Array(d), b * d));
    feeds.code_positions = hostTensor('int32', [B * C], positions);
    feeds.code_mask = hostTensor('int32', [B, C], codeMask);
    feeds.gt_embedding = hostTensor('float32', [B, d], gt);
  }
  // Rows whose code span survived the length limit: the structural loss is their mean.
  const codeRows = batch.filter((e) => e.spans.code && e.spans.code.end > e.spans.code.start).length;
  return { feeds, tokens: mask.reduce((a, b) => a + b, 0), codeRows };
}
