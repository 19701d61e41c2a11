import { ops, type Value } from '@codistill/graph';

/** Cosine similarity of rows: a, b [..., d] -> [...]. */
export function cosineSimilarity(a: Value, b: Value, eps = 1e-8): Value {
  const dot = ops.reduceSum(ops.mul(a, b), [-1], false);
  const squares = ops.mul(ops.reduceSum(ops.mul(a, a), [-1], false), ops.reduceSum(ops.mul(b, b), [-1], false));
  // sqrt(|a|^2 |b|^2 + eps^2) rather than |a| |b| + eps: the same value, but a finite gradient at a zero vector (sqrt'(0) is infinite).
  return ops.div(dot, ops.sqrt(ops.add(squares, eps * eps)));
}

/**
 * L_struct = 1 - cos(E_gt, E_gen), averaged over the batch. `generated` [B, d] is the pooled
 * CodeBERT embedding of the student's soft code (differentiable); `groundTruth` [B, d] is the
 * embedding of the reference code, computed once per example and fed as an input. `rows` [B]
 * (1 or 0) leaves out rows without code (e.g. cut off by the length limit): their cosine is 0 by
 * construction and would only dilute the loss.
 */
export function structuralLoss(generated: Value, groundTruth: Value, rows?: Value): Value {
  const g = generated.graph;
  const cos = cosineSimilarity(generated, groundTruth);
  const mean = rows ? ops.div(ops.reduceSum(ops.mul(cos, rows), undefined, false), ops.add(ops.reduceSum(rows, undefined, false), 1e-12)) : ops.reduceMean(cos, undefined, false);
  return ops.sub(g.scalar(1, generated.dtype), mean);
}

/** alpha * L_token + beta * L_struct, with alpha and beta as graph inputs so schedules need no recompile. */
export function combinedLoss(tokenLoss: Value, structural: Value, alpha: Value, beta: Value): Value {
  return ops.add(ops.mul(tokenLoss, alpha), ops.mul(structural, beta));
}
