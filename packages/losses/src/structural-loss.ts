import { ops, type Value } from '@codistill/graph';

/** Cosine similarity of rows: a, b [..., d] -> [...]. */
export function cosineSimilarity(a: Value, b: Value, eps = 1e-8): Value {
  const dot = ops.reduceSum(ops.mul(a, b), [-1], false);
  const na = ops.sqrt(ops.reduceSum(ops.mul(a, a), [-1], false));
  const nb = ops.sqrt(ops.reduceSum(ops.mul(b, b), [-1], false));
  return ops.div(dot, ops.add(ops.mul(na, nb), eps));
}

/**
 * L_struct = 1 - cos(E_gt, E_gen), averaged over the batch. `generated` [B, d] is the pooled
 * CodeBERT embedding of the student's soft code (differentiable); `groundTruth` [B, d] is the
 * embedding of the reference code, computed once per example and fed as an input.
 */
export function structuralLoss(generated: Value, groundTruth: Value): Value {
  return ops.sub(generated.graph.scalar(1, generated.dtype), ops.reduceMean(cosineSimilarity(generated, groundTruth), undefined, false));
}

/** alpha * L_token + beta * L_struct, with alpha and beta as graph inputs so schedules need no recompile. */
export function combinedLoss(tokenLoss: Value, structural: Value, alpha: Value, beta: Value): Value {
  return ops.add(ops.mul(tokenLoss, alpha), ops.mul(structural, beta));
}
