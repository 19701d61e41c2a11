import { ops, type Value } from '@codistill/graph';
import type { ComputeDtype } from './config.js';

/** Most negative finite value: masked scores stay finite, so a fully masked (padding) row gives no NaN. */
export const MASKED: Record<ComputeDtype, number> = { float32: -3.4028234663852886e38, float16: -65504, bfloat16: -3.3895313892515355e38 };

/**
 * The last `seq` of `total` slots as int32 [seq], for int64 shape values (ops.shapeOf): the shape
 * arithmetic stays on the CPU as ONNX Runtime keeps it, the Range and what reads it run on the
 * GPU (WebGPU has no int64 kernels).
 */
export function lastSlots(total: Value, seq: Value): Value {
  const range = ops.rangeOp(ops.rangeBound(ops.sub(total, seq), 'int32'), ops.rangeBound(total, 'int32'), total.graph.scalar(1, 'int32'));
  // Shape inference cannot tell that the range is `seq` long; the reshape says so.
  return ops.reshape(range, seq);
}

/**
 * Additive attention bias [batch, 1, seq, total] for queries at the last `seq` of `total` slots:
 * a key is visible when it is not padding, not in the future and (with a window) not too old.
 * `mask` is the int32 attention mask [batch, total] (see maskAs); `queries` [batch, seq, ...].
 * The lengths come from these two, which are not transposed: ONNX Runtime's transpose optimiser
 * turns the Shape of a transposed value into an int64 Gather that WebGPU has no kernel for.
 */
export function attentionBias(mask: Value, queries: Value, dtype: ComputeDtype, window?: number): Value {
  const g = mask.graph;
  const total = ops.shapeOf(mask, 1, 2);
  const seq = ops.shapeOf(queries, 1, 2);
  const keyPos = ops.arange(total, 'int32');
  const queryPos = ops.unsqueeze(lastSlots(total, seq), [-1]);
  let visible = ops.lessOrEqual(keyPos, queryPos);
  if (window !== undefined) visible = ops.and(visible, ops.greater(keyPos, ops.sub(queryPos, window)));
  const notPadding = ops.unsqueeze(ops.cast(mask, 'bool'), [1, 2]);
  const allowed = ops.and(ops.unsqueeze(visible, [0, 1]), notPadding);
  return ops.where(allowed, g.scalar(0, dtype), g.scalar(MASKED[dtype], dtype));
}

/**
 * Scaled dot-product attention with grouped KV heads, without copying K/V per query head:
 * q [B, kvHeads, group, T, D] against k, v [B, kvHeads, S, D]; softmax in float32.
 * Returns [B, kvHeads, group, T, D].
 *
 * Without grouping (group 1) the products run on 4-D operands: with a broadcast group axis, ONNX
 * Runtime's transpose optimiser merges the head split of k and v with the products' transposes into
 * 5-D transposes that move the head dim, which its CPU kernel runs about 4x slower than 4-D ones
 * (2.5 vs 0.6 ms for [4, 256, 8, 64], AMD EPYC), 5 % of the 58M model's training step. With
 * grouping the group stays a broadcast axis: folding it into the rows instead ([B, kvHeads,
 * group x T, D]) made the Llama-3.1-8B-wide step's attention 15 % slower (larger transposed
 * products, fresh [group x T, S] buffers), and there the transposes are small beside the scores.
 */
export function groupedAttention(q: Value, k: Value, v: Value, bias: Value, queryBlocks = 1): Value {
  const [group, d] = [q.shape[2] as number, q.shape[q.rank - 1] as number];
  // The scale right before the product: ONNX Runtime folds it into the product (FusedMatMul's alpha).
  const attend = (queries: Value, keys: Value, values: Value, scoreBias: Value) => {
    const keysT = ops.transpose(keys, [0, 1, 3, 2]);
    const [kT, vs, b] = group === 1 ? [keysT, values, scoreBias] : [ops.unsqueeze(keysT, [2]), ops.unsqueeze(values, [2]), ops.unsqueeze(scoreBias, [1])];
    const probs = ops.softmax(ops.cast(ops.add(ops.matmul(ops.mul(queries, 1 / Math.sqrt(d)), kT), b), 'float32'), -1);
    return ops.matmul(ops.cast(probs, values.dtype), vs);
  };
  const rows = group === 1 ? ops.reshape(q, [0, 0, -1, d]) : q;
  const out = queryBlocks === 1 ? attend(rows, k, v, bias) : causalBlocks(rows, k, v, bias, queryBlocks, attend);
  return group === 1 ? ops.reshape(out, [0, 0, 1, -1, d]) : out;
}

/**
 * Causal attention of queries at the same positions as the keys (no cache), in `blocks` blocks of
 * queries, each against the keys up to its last position: the later keys are in every one of the
 * block's queries' future, so their scores (masked to MASKED, exp 0) are not computed. Four blocks
 * compute 5/8 of the scores and softmax work, and hold one block's scores at a time. Blocks are
 * floor(T / blocks) long, the last one taking the rest (a T below `blocks` leaves empty blocks). A
 * query with no visible key at all (a padding row) averages its block's keys instead of all keys:
 * such rows carry no loss, and every other row's result is the unblocked one.
 */
function causalBlocks(q: Value, k: Value, v: Value, bias: Value, blocks: number, attend: (q: Value, k: Value, v: Value, bias: Value) => Value): Value {
  // Lengths from the bias [B, 1, T, T], which is no transpose's output: ONNX Runtime's transpose
  // optimiser turns the Shape of one into an int64 Gather that WebGPU has no kernel for.
  const total = ops.shapeOf(bias, 3, 4);
  const size = ops.div(total, blocks);
  const sizes = ops.concat([...Array.from({ length: blocks - 1 }, () => size), ops.sub(total, ops.mul(size, blocks - 1))], 0);
  const [qs, ks, vs, biasRows] = [ops.split(q, sizes, q.rank - 2, blocks), ops.split(k, sizes, 2, blocks), ops.split(v, sizes, 2, blocks), ops.split(bias, sizes, 2, blocks)];
  const upTo = (pieces: Value[], b: number, axis: number) => (b === 0 ? pieces[0] : ops.concat(pieces.slice(0, b + 1), axis));
  // The last block reads the pieces again rather than k and v: every gradient into k, v and q then
  // comes back through its Split as one value, whose shape the reshapes before them restate.
  const outs = qs.map((queries, b) => attend(queries, upTo(ks, b, 2), upTo(vs, b, 2), upTo(ops.split(biasRows[b], sizes, 3, blocks), b, 3)));
  // q's shape restated (shape inference cannot tell that the blocks add up to T), from the bias.
  const dims = q.shape.map((dim, i) => (typeof dim === 'number' ? q.graph.int64s([dim]) : ops.shapeOf(bias, i === 0 ? 0 : 2, i === 0 ? 1 : 3)));
  return ops.reshape(ops.concat(outs, q.rank - 2), ops.concat(dims, 0));
}
