// Layers composed from the primitive ops; their gradients come from the primitives' VJP rules.
import { customGradient } from './autodiff.js';
import type { Value } from './builder.js';
import type { DType } from './dtype.js';
import { add } from './ops/add.js';
import { cast } from './ops/cast.js';
import { div } from './ops/div.js';
import { erf } from './ops/erf.js';
import { unbroadcast } from './ops/expand.js';
import { gather } from './ops/gather.js';
import { gatherElements } from './ops/gather-elements.js';
import { gemm, type GemmOptions } from './ops/gemm.js';
import { log } from './ops/log.js';
import { mul } from './ops/mul.js';
import { neg } from './ops/neg.js';
import { reciprocal } from './ops/reciprocal.js';
import { reduceMean } from './ops/reduce-mean.js';
import { reduceSum } from './ops/reduce-sum.js';
import { reshape } from './ops/reshape.js';
import { scatterElements } from './ops/scatter-elements.js';
import { shapeOf } from './ops/shape.js';
import { concat } from './ops/concat.js';
import { sigmoid } from './ops/sigmoid.js';
import { softmax } from './ops/softmax.js';
import { sqrt } from './ops/sqrt.js';
import { squeeze } from './ops/squeeze.js';
import { sub } from './ops/sub.js';
import { unsqueeze } from './ops/unsqueeze.js';
import { GraphError } from './graph-error.js';

/**
 * RMSNorm (Llama): x / sqrt(mean(x^2) + eps) * weight, computed in float32 like transformers. Its
 * gradient, with n = x / rms and gw = g weight, is (gw - n mean(gw n)) / rms: five passes over x,
 * where the primitives' gradients take eight.
 */
export function rmsNorm(x: Value, weight: Value, eps: number): Value {
  const x32 = cast(x, 'float32');
  const inv = reciprocal(sqrt(add(reduceMean(mul(x32, x32), [-1]), eps)));
  const n = mul(x32, inv);
  const normed = cast(n, x.dtype);
  const dx = (g: Value): Value => {
    const gw = cast(mul(g, weight), 'float32');
    return cast(mul(sub(gw, mul(n, reduceMean(mul(gw, n), [-1]))), inv), x.dtype);
  };
  return customGradient(mul(weight, normed), [x, weight], ({ needs, grads: [g] }) => [needs[0] ? dx(g!) : undefined, needs[1] ? unbroadcast(mul(g!, normed), weight) : undefined]);
}

/**
 * A dense layer in PyTorch's layout: y = x @ W^T + b with W [out, in], x [..., in]. Rows are
 * flattened into one Gemm with transB, so W is read in place: no transposed copy of the weight
 * (which constant folding would otherwise keep in memory beside the original). `alpha` scales the
 * product inside the Gemm (and its gradients' Gemms), not in a pass over y (LoRA's scaling).
 */
export function linear(x: Value, weight: Value, bias?: Value, alpha = 1): Value {
  const [out, inDim] = weight.shape;
  const opts: GemmOptions = alpha === 1 ? { transB: 1 } : { transB: 1, alpha };
  if (x.rank === 2) return gemm(x, weight, opts, bias);
  if (typeof inDim !== 'number') throw new GraphError(`linear: weight '${weight.name}' needs a fixed input size`);
  const y = gemm(reshape(x, [-1, inDim]), weight, opts, bias);
  const lead = shapeOf(x, 0, -1);
  return reshape(y, concat([lead, x.graph.int64s([typeof out === 'number' ? out : -1])], 0));
}

/**
 * SiLU / swish: x * sigmoid(x). Its gradient is g s (1 + x - silu) with s = sigmoid(x): four
 * elementwise passes, where the primitives' gradients take six (each a pass over the MLP's
 * widest tensor).
 */
export function silu(x: Value): Value {
  const s = sigmoid(x);
  const y = mul(x, s);
  return customGradient(y, [x], ({ grads: [g] }) => [mul(g!, mul(s, add(sub(x, y), 1)))]);
}

/** Exact GELU (erf form), as RoBERTa uses. */
export const gelu = (x: Value): Value => mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));

export interface CrossEntropy {
  /** Mean negative log-likelihood over the weighted positions. */
  loss: Value;
  /** Per-position negative log-likelihood [..., T]. */
  nll: Value;
}

/**
 * A 0/1 `mask` (attention or code mask) as `dtype`. An int64 mask is looked up in [0, 1] instead
 * of cast: Gather takes int64 indices on every provider, whereas WebGPU has no kernel that casts
 * from int64, so a Cast would run on the CPU with copies on every run. A value other than 0 or 1
 * is out of the table's range (an error on the CPU).
 */
export function maskAs(mask: Value, dtype: DType): Value {
  if (mask.dtype !== 'int64') return cast(mask, dtype);
  return gather(mask.graph.constant([0, 1], dtype, [2], 'mask_values'), mask, 0);
}

/** float32's smallest normal value: the least probability softmaxCrossEntropy takes a log of. */
const FLOAT32_MIN_NORMAL = 2 ** -126;

/**
 * `loss[n] = -log softmax(scores[n])[labels[n]]` for scores [N, V] and int32 or int64 labels [N]:
 * one Softmax (every provider has a kernel; ONNX's SoftmaxCrossEntropyLoss has none, and ONNX
 * Runtime inlines its body, whose LogSoftmax WebGPU lacks), then the label's probability. A
 * probability below float32's smallest normal, 1.2e-38 (a loss above 87.3), counts as that.
 * Only the label's log-probability is formed, not all [N, V] of them.
 * `gradient(perRow)` is d loss / d scores scaled per row by `perRow` [N, 1], perRow (softmax -
 * onehot(label)): `probs` times perRow and a scatter-add, no one-hot tensor. The loss's own
 * gradient is that, instead of differentiating the primitives, which would hold more [N, V]
 * tensors; int32 labels keep the label arithmetic on the GPU under WebGPU.
 */
export function softmaxCrossEntropy(scores: Value, labels: Value): { loss: Value; probs: Value; gradient(perRow: Value): Value } {
  const probs = softmax(scores, 1);
  const at = unsqueeze(labels, [1]);
  const nll = squeeze(neg(log(add(gatherElements(probs, at, 1), FLOAT32_MIN_NORMAL))), [1]);
  const gradient = (perRow: Value): Value => scatterElements(mul(probs, perRow), at, neg(perRow), 1, 'add');
  const loss = customGradient(nll, [scores], ({ grads: [g] }) => [gradient(unsqueeze(g!, [1]))]);
  return { loss, probs, gradient };
}

/**
 * Cross-entropy of `logits` [..., V] against integer `targets` [...], weighted per position by
 * `weights` [...] (0 drops a position, as label -100 does in transformers). The mean divides by
 * the total weight (a batch with no weighted position has loss 0).
 */
export function maskedCrossEntropy(logits: Value, targets: Value, weights: Value): CrossEntropy {
  // Rows [N, V]: flatten the leading dims, restore them on the result. The targets take the
  // scores' row count, so shape inference sees the two agree.
  const vocab = logits.shape[logits.shape.length - 1];
  const scores = reshape(cast(logits, 'float32'), [-1, vocab as number]);
  const rows = softmaxCrossEntropy(scores, reshape(targets, shapeOf(scores, 0, 1)));
  const nll = reshape(rows.loss, shapeOf(targets));
  const w = cast(weights, 'float32');
  // The epsilon makes a batch with no weighted position a zero loss (no gradient) instead of 0/0.
  const loss = div(reduceSum(mul(nll, w), undefined, false), add(reduceSum(w, undefined, false), 1e-12));
  return { loss, nll };
}
