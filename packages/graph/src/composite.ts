// Layers composed from the primitive ops; their gradients come from the primitives' VJP rules.
import type { Value } from './builder.js';
import { add } from './ops/add.js';
import { cast } from './ops/cast.js';
import { div } from './ops/div.js';
import { erf } from './ops/erf.js';
import { gemm } from './ops/gemm.js';
import { mul } from './ops/mul.js';
import { reciprocal } from './ops/reciprocal.js';
import { reduceMean } from './ops/reduce-mean.js';
import { reduceSum } from './ops/reduce-sum.js';
import { reshape } from './ops/reshape.js';
import { shapeOf } from './ops/shape.js';
import { concat } from './ops/concat.js';
import { sigmoid } from './ops/sigmoid.js';
import { softmaxCrossEntropy } from './ops/softmax-cross-entropy-loss.js';
import { sqrt } from './ops/sqrt.js';
import { GraphError } from './shape.js';

/** RMSNorm (Llama): x / sqrt(mean(x^2) + eps) * weight, computed in float32 like transformers. */
export function rmsNorm(x: Value, weight: Value, eps: number): Value {
  const x32 = cast(x, 'float32');
  const inv = reciprocal(sqrt(add(reduceMean(mul(x32, x32), [-1]), eps)));
  return mul(weight, cast(mul(x32, inv), x.dtype));
}

/**
 * A dense layer in PyTorch's layout: y = x @ W^T + b with W [out, in], x [..., in]. Rows are
 * flattened into one Gemm with transB, so W is read in place: no transposed copy of the weight
 * (which constant folding would otherwise keep in memory beside the original).
 */
export function linear(x: Value, weight: Value, bias?: Value): Value {
  const [out, inDim] = weight.shape;
  if (x.rank === 2) return gemm(x, weight, { transB: 1 }, bias);
  if (typeof inDim !== 'number') throw new GraphError(`linear: weight '${weight.name}' needs a fixed input size`);
  const y = gemm(reshape(x, [-1, inDim]), weight, { transB: 1 }, bias);
  const lead = shapeOf(x, 0, -1);
  return reshape(y, concat([lead, x.graph.int64s([typeof out === 'number' ? out : -1])], 0));
}

/** SiLU / swish: x * sigmoid(x). */
export const silu = (x: Value): Value => mul(x, sigmoid(x));

/** Exact GELU (erf form), as RoBERTa uses. */
export const gelu = (x: Value): Value => mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));

export interface CrossEntropy {
  /** Mean negative log-likelihood over the weighted positions. */
  loss: Value;
  /** Per-position negative log-likelihood [..., T]. */
  nll: Value;
}

/**
 * Cross-entropy of `logits` [..., V] against integer `targets` [...], weighted per position by
 * `weights` [...] (0 drops a position, as label -100 does in transformers). The mean divides by
 * the total weight (a batch with no weighted position has loss 0).
 */
export function maskedCrossEntropy(logits: Value, targets: Value, weights: Value): CrossEntropy {
  // SoftmaxCrossEntropyLoss takes rows [N, V]: flatten the leading dims, restore them on the result.
  const vocab = logits.shape[logits.shape.length - 1];
  const rows = softmaxCrossEntropy(reshape(cast(logits, 'float32'), [-1, vocab as number]), reshape(cast(targets, 'int64'), [-1]));
  const nll = reshape(rows.loss, shapeOf(targets));
  const w = cast(weights, 'float32');
  // The epsilon makes a batch with no weighted position a zero loss (no gradient) instead of 0/0.
  const loss = div(reduceSum(mul(nll, w), undefined, false), add(reduceSum(w, undefined, false), 1e-12));
  return { loss, nll };
}
