import type { Value } from '../builder.js';
import type { DType } from '../dtype.js';
import { registerOp } from '../registry.js';
import { cast } from './cast.js';
import { squeeze } from './squeeze.js';
import { freshDim, required } from './util.js';

/** [start, start + delta, ...) up to `limit`; scalars of one dtype. */
export const rangeOp = (start: Value, limit: Value, delta: Value): Value => start.graph.op('Range', [start, limit, delta])[0];

/**
 * A 0-d or [1] integer `n` (e.g. a dim from shapeOf) as a `dtype` scalar, for Range. Squeezed
 * before the cast: ONNX's shape inference, propagating a Shape's data through a Cast, keeps it
 * int64 and then rejects the Range for mixed types.
 */
export const rangeBound = (n: Value, dtype: DType): Value => (n.dtype === dtype ? n : cast(n.rank === 1 ? squeeze(n, [0]) : n, dtype));

/** 0, 1, ..., n-1 as `dtype` (default int64) for a runtime length `n` (a 0-d or [1] integer tensor). */
export function arange(n: Value, dtype: DType = 'int64'): Value {
  const g = n.graph;
  return rangeOp(g.scalar(0, dtype), rangeBound(n, dtype), g.scalar(1, dtype));
}

registerOp({
  op: 'Range',
  infer: (ctx) => {
    const [start] = required(ctx, 3);
    const [s, l, d] = [0, 1, 2].map((i) => ctx.constant(i));
    if (s && l && d) {
      const n = Math.max(0, Math.ceil((Number(l[0]) - Number(s[0])) / Number(d[0])));
      return [{ dtype: start.dtype, shape: [n] }];
    }
    const limit = ctx.shapeValue(1);
    const fromZero = s && Number(s[0]) === 0 && d && Number(d[0]) === 1;
    return [{ dtype: start.dtype, shape: [fromZero && limit?.length === 1 ? limit[0] : freshDim(ctx, 'range')] }];
  },
});
