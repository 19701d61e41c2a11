// Cross-entropy through the LM head in row chunks (Liger-Kernel's fused linear cross-entropy): the
// [N, V] logits, their log-probabilities and their gradient are never held for all rows at once.
import { customGradient } from './autodiff.js';
import type { Value } from './builder.js';
import type { CrossEntropy } from './composite.js';
import { add } from './ops/add.js';
import { cast } from './ops/cast.js';
import { less } from './ops/compare.js';
import { concat } from './ops/concat.js';
import { div } from './ops/div.js';
import { exp } from './ops/exp.js';
import { gather } from './ops/gather.js';
import { gemm } from './ops/gemm.js';
import { mul } from './ops/mul.js';
import { neg } from './ops/neg.js';
import { arange, rangeOp } from './ops/range.js';
import { reduceSum } from './ops/reduce-sum.js';
import { reshape } from './ops/reshape.js';
import { scatterElements } from './ops/scatter-elements.js';
import { shapeOf } from './ops/shape.js';
import { softmaxCrossEntropy } from './ops/softmax-cross-entropy-loss.js';
import { squeeze } from './ops/squeeze.js';
import { sub } from './ops/sub.js';
import { unsqueeze } from './ops/unsqueeze.js';
import { where } from './ops/where.js';
import { GraphError } from './shape.js';

export interface LinearCrossEntropyOptions {
  /** Rows (token positions) per chunk: the logits held at a time are chunkRows x vocab floats. */
  chunkRows: number;
  /**
   * Most rows a run feeds (e.g. batchSize * maxLength) when the row count is symbolic: ONNX has
   * no loop here, so the chunks are unrolled when the graph is built. A run with more rows fails.
   */
  maxRows?: number;
}

const minOf = (a: Value, b: Value | number): Value => where(less(a, b), a, b);
const maxOf = (a: Value, b: Value | number): Value => where(less(a, b), b, a);

/**
 * Indices of chunk rows [start, start + size) clamped to the `n` rows there are. A chunk wholly
 * past the end gets one duplicate of the last row instead of none (ONNX Runtime's
 * SoftmaxCrossEntropyLoss rejects empty input); those rows land after row n and are dropped.
 */
function chunkIndices(n: Value, start: number, size: number): Value {
  const g = n.graph;
  const limit = maxOf(minOf(g.scalar(start + size, 'int64'), n), start + 1);
  return minOf(rangeOp(g.scalar(start, 'int64'), limit, g.scalar(1, 'int64')), sub(n, 1));
}

/**
 * One chunk's per-row NLL and its gradient with respect to the hidden rows. `scale` [N] is d loss
 * / d nll (weight / total weight), so dh comes out already normalised. d nll / d logits is
 * softmax - onehot(label), formed as SoftmaxCrossEntropyLoss's VJP does, without a one-hot tensor.
 */
function chunk(h: Value, weight: Value, targets: Value, scale: Value, idx: Value): { nll: Value; dh: Value } {
  const logits = cast(gemm(gather(h, idx, 0), weight, { transB: 1 }), 'float32');
  const labels = gather(targets, idx, 0);
  const { loss: nll, logProb } = softmaxCrossEntropy(logits, labels);
  const perRow = unsqueeze(gather(scale, idx, 0), [1]);
  const dLogits = scatterElements(mul(exp(logProb), perRow), unsqueeze(labels, [1]), neg(perRow), 1, 'add');
  return { nll, dh: gemm(cast(dLogits, h.dtype), weight) };
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
  const dim = weight.shape[1];
  if (weight.rank !== 2 || typeof dim !== 'number') throw new GraphError(`linearCrossEntropy: weight '${weight.name}' must be [vocab, hidden] with a fixed hidden size`);
  if (!(Number.isInteger(opts.chunkRows) && opts.chunkRows > 0)) throw new GraphError(`linearCrossEntropy: chunkRows must be a positive integer, got ${opts.chunkRows}`);
  const h = reshape(hidden, [-1, dim]);
  const rows = h.shape[0];
  const maxRows = typeof rows === 'number' ? rows : opts.maxRows;
  if (maxRows === undefined) throw new GraphError(`linearCrossEntropy: the row count of '${hidden.name}' is symbolic: pass maxRows`);
  // Row-shaped tensors share h's row symbol, so shape inference sees them agree.
  const rowShape = shapeOf(h, 0, 1);
  const t = reshape(cast(targets, 'int64'), rowShape);
  const w = reshape(cast(weights, 'float32'), rowShape);
  // The epsilon makes a batch with no weighted position a zero loss, as in maskedCrossEntropy.
  const total = add(reduceSum(w, undefined, false), 1e-12);
  const scale = div(w, total);
  const n = squeeze(rowShape, [0]);
  const parts = Array.from({ length: Math.ceil(maxRows / opts.chunkRows) }, (_, k) =>
    h.graph.scope(`chunk${k}`, () => chunk(h, weight, t, scale, chunkIndices(n, k * opts.chunkRows, opts.chunkRows))),
  );
  // Real rows come first in the concatenation: every chunk before the end is full.
  const firstRows = (xs: Value[]) => gather(concat(xs, 0), arange(n), 0);
  const nll = reshape(firstRows(parts.map((p) => p.nll)), rowShape);
  const dh = reshape(firstRows(parts.map((p) => p.dh)), shapeOf(h));
  const loss = div(reduceSum(mul(nll, w), undefined, false), total);
  const withGrad = customGradient(loss, [hidden, weight, weights], ({ needs, grads: [g] }) => {
    if (needs[1]) throw new GraphError(`linearCrossEntropy: no gradient for the head weight '${weight.name}': it is frozen here (use maskedCrossEntropy on the logits to train it)`);
    if (needs[2]) throw new GraphError(`linearCrossEntropy: no gradient for the loss weights '${weights.name}'`);
    return [reshape(mul(dh, cast(g!, dh.dtype)), shapeOf(hidden)), undefined, undefined];
  });
  return { loss: withGrad, nll: reshape(nll, shapeOf(targets)) };
}
