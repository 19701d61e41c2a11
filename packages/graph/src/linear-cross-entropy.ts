// Cross-entropy through the LM head in row chunks (Liger-Kernel's fused linear cross-entropy): the
// [N, V] logits, their log-probabilities and their gradient are never held for all rows at once.
import { customGradient } from './autodiff.js';
import type { Value } from './builder.js';
import { softmaxCrossEntropy, type CrossEntropy } from './composite.js';
import { isHalf } from './dtype.js';
import { add } from './ops/add.js';
import { cast } from './ops/cast.js';
import { div } from './ops/div.js';
import { gather } from './ops/gather.js';
import { gemm } from './ops/gemm.js';
import { matmul } from './ops/matmul.js';
import { mul } from './ops/mul.js';
import { reduceMax } from './ops/reduce-max.js';
import { reduceSum } from './ops/reduce-sum.js';
import { reshape } from './ops/reshape.js';
import { shapeOf } from './ops/shape.js';
import { sub } from './ops/sub.js';
import { transpose } from './ops/transpose.js';
import { unsqueeze } from './ops/unsqueeze.js';
import { mapRowChunks, type RowChunkOptions } from './row-chunks.js';
import { GraphError } from './graph-error.js';

export interface LinearCrossEntropyOptions extends RowChunkOptions {
  /**
   * Vocabulary blocks of the product d logits [rows, V] x head [V, H]; must divide V. Default:
   * for heads at least MIN_BLOCKED_WIDTH wide, the fewest blocks that keep a chunk's block of d
   * logits within VOCAB_BLOCK_BYTES; else 1. A 16-bit head takes one product (a sum of blocks
   * would round each block's part to 16 bits).
   */
  vocabBlocks?: number;
}

/**
 * A CPU GEMM (MLAS) reads its left operand once per 128 output columns a thread computes: at
 * width 4,096, d logits of a 256-row chunk at vocabulary 128,256 (131 MB) is read from memory 16
 * times a product, which ran at ~0.7 of the rate of the step's other products; in blocks of this
 * size it stays in the last-level cache (~0.9). At width 512 (two passes a thread) one product
 * ran as fast or faster than blocks, so narrower heads keep it.
 */
const VOCAB_BLOCK_BYTES = 4 * 2 ** 20;
const MIN_BLOCKED_WIDTH = 2048;

/** The default block count: the smallest divisor of `vocab` at or above what the cache needs, if one is near. */
export function defaultVocabBlocks(vocab: number, width: number, chunkRows: number): number {
  if (width < MIN_BLOCKED_WIDTH) return 1;
  const needed = Math.ceil((chunkRows * vocab * 4) / VOCAB_BLOCK_BYTES);
  for (let n = needed; n <= 4 * needed && n <= vocab; n++) if (vocab % n === 0) return n;
  return 1;
}

/**
 * p [rows, V] x weight [V, H] as `blocks` products over vocabulary blocks, summed: one batched
 * MatMul on p made block-major (ONNX Runtime's CPU provider folds the transpose into the MatMul)
 * and the head reshaped (a view: no copy of the head).
 */
function blockedProduct(p: Value, weight: Value, blocks: number): Value {
  if (blocks === 1) return gemm(p, weight);
  const [vocab, dim] = weight.shape as number[];
  const pb = transpose(reshape(p, [-1, blocks, vocab / blocks]), [1, 0, 2]);
  return reduceSum(matmul(pb, reshape(weight, [blocks, vocab / blocks, dim])), [0], false);
}

/**
 * One chunk's per-row NLL and its gradient with respect to the hidden rows. `scale` [N] is d loss
 * / d nll (weight / total weight), so dh comes out already normalised.
 */
function chunk(rows: Value, weight: Value, targets: Value, scale: Value, idx: Value, blocks: number): { nll: Value; dh: Value } {
  const logits = cast(gemm(rows, weight, { transB: 1 }), 'float32');
  const labels = gather(targets, idx, 0);
  const { loss: nll, probs, gradient } = softmaxCrossEntropy(logits, labels);
  const perRow = unsqueeze(gather(scale, idx, 0), [1]);
  // In a 16-bit type the difference below, of two near-equal products, would lose a confident
  // row's gradient: the one-hot part goes into the logits' gradient there.
  if (isHalf(rows.dtype)) return { nll, dh: halfHeadGradient(gradient, perRow, weight, rows.dtype) };
  // d logits @ W = perRow softmax @ W - perRow W[label]: the label rows gathered from the head,
  // instead of a scatter into the [rows, V] gradient, which copies it whole; perRow taken after
  // the product, on [rows, H], not before it on the [rows, V] probabilities.
  const softmaxHead = mul(blockedProduct(cast(probs, rows.dtype), weight, blocks), cast(perRow, rows.dtype));
  return { nll, dh: sub(softmaxHead, mul(gather(weight, labels, 0), cast(perRow, rows.dtype))) };
}

/**
 * d logits @ W in a 16-bit type. perRow (about 1 / tokens) folded into the [rows, V] gradient before
 * the cast would push most of it below float16's normal range (a third of the gradient lost at 512
 * tokens); the product takes perRow over its chunk maximum, at most 1, and the maximum is applied
 * after it, in float32 (the epsilon keeps a chunk of unweighted rows at 0).
 */
function halfHeadGradient(gradient: (perRow: Value) => Value, perRow: Value, weight: Value, half: Value['dtype']): Value {
  const top = add(reduceMax(perRow, undefined, true), 1e-30);
  const product = gemm(cast(gradient(div(perRow, top)), half), weight);
  return cast(mul(cast(product, 'float32'), top), half);
}

/**
 * maskedCrossEntropy(linear(hidden, weight), targets, weights) — same loss, same normaliser — for
 * hidden states [..., H] and a frozen head weight [V, H], computed `chunkRows` rows at a time.
 * Each chunk also computes its part of d loss / d hidden in the forward pass, so a chunk's logits
 * die with the chunk and ONNX Runtime can reuse their memory for the next one; the backward pass
 * only scales that [N, H] gradient. No gradient flows to `weight` or `weights`: asking for one
 * is an error (training the head needs maskedCrossEntropy on the logits).
 */
export function linearCrossEntropy(hidden: Value, weight: Value, targets: Value, weights: Value, opts: LinearCrossEntropyOptions): CrossEntropy {
  const [vocab, dim] = weight.shape;
  if (weight.rank !== 2 || typeof dim !== 'number') throw new GraphError(`linearCrossEntropy: weight '${weight.name}' must be [vocab, hidden] with a fixed hidden size`);
  const blocks = opts.vocabBlocks ?? (typeof vocab === 'number' ? defaultVocabBlocks(vocab, dim, opts.chunkRows) : 1);
  if (blocks !== 1 && !(Number.isInteger(blocks) && blocks > 1 && typeof vocab === 'number' && vocab % blocks === 0)) {
    throw new GraphError(`linearCrossEntropy: vocabBlocks ${blocks} must be a positive integer dividing the vocabulary size ${vocab}`);
  }
  const h = reshape(hidden, [-1, dim]);
  // Row-shaped tensors share h's row symbol, so shape inference sees them agree.
  const rowShape = shapeOf(h, 0, 1);
  const t = reshape(targets, rowShape);
  const w = reshape(cast(weights, 'float32'), rowShape);
  // The epsilon makes a batch with no weighted position a zero loss, as in maskedCrossEntropy.
  const total = add(reduceSum(w, undefined, false), 1e-12);
  const scale = div(w, total);
  const chunks = mapRowChunks(h, opts, (rows, idx) => {
    const c = chunk(rows, weight, t, scale, idx, blocks);
    return [c.nll, c.dh];
  });
  const nll = reshape(chunks.outputs[0], rowShape);
  const dh = reshape(chunks.outputs[1], shapeOf(h));
  const loss = div(reduceSum(mul(nll, w), undefined, false), total);
  const withGrad = customGradient(loss, [hidden, weight, weights], ({ needs, grads: [g] }) => {
    if (needs[1]) throw new GraphError(`linearCrossEntropy: no gradient for the head weight '${weight.name}': it is frozen here (use maskedCrossEntropy on the logits to train it)`);
    if (needs[2]) throw new GraphError(`linearCrossEntropy: no gradient for the loss weights '${weights.name}'`);
    return [reshape(mul(dh, cast(g!, dh.dtype)), shapeOf(hidden)), undefined, undefined];
  });
  return { loss: withGrad, nll: reshape(nll, shapeOf(targets)) };
}
