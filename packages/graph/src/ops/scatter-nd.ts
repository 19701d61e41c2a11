import type { Value } from '../builder.js';
import type { Shape } from '../ir.js';
import type { InferCtx } from '../op-def.js';
import { registerOp } from '../registry.js';
import { fmtShape, mayEqual } from '../shape.js';
import { scatterInputs } from './util.js';

export type Reduction = 'none' | 'add' | 'mul' | 'max' | 'min';

export const scatterND = (data: Value, indices: Value, updates: Value, reduction: Reduction = 'none'): Value =>
  data.graph.op('ScatterND', [data, indices, updates], { reduction })[0];

/**
 * The shape the updates must have: indices.shape[:-1] + data.shape[k:], k the indices' last dim,
 * at most the data's rank. A symbolic k is the one the ranks leave.
 */
function updatesShape(ctx: InferCtx, data: Shape, indices: Shape, updatesRank: number): Shape {
  const last = indices[indices.length - 1];
  const k = typeof last === 'number' ? last : data.length + indices.length - 1 - updatesRank;
  if (typeof last === 'number' && k > data.length) ctx.fail(`indices' last dim ${k} is larger than the data's rank ${data.length}`);
  if (k < 0 || k > data.length) ctx.fail(`updates of rank ${updatesRank} cannot be indices.shape[:-1] + data.shape[k:] for any k`);
  return [...indices.slice(0, -1), ...data.slice(k)];
}

registerOp({
  op: 'ScatterND',
  attrs: { reduction: 'string' },
  infer: (ctx) => {
    const [x, idx, upd] = scatterInputs(ctx);
    // ONNX types ScatterND's indices int64 only: ONNX Runtime refuses int32 when the session is made.
    if (idx.dtype !== 'int64') ctx.fail(`indices must be int64, are ${idx.dtype}`);
    if (!x.shape.length) ctx.fail('the data needs rank >= 1, is a scalar');
    if (!idx.shape.length) ctx.fail('indices need rank >= 1, are a scalar');
    const want = updatesShape(ctx, x.shape, idx.shape, upd.shape.length);
    if (!mayEqual(upd.shape, want)) ctx.fail(`updates ${fmtShape(upd.shape)} must have shape ${fmtShape(want)} (indices.shape[:-1] + data.shape[k:], k = indices.shape[-1])`);
    return [{ dtype: x.dtype, shape: [...x.shape] }];
  },
});
