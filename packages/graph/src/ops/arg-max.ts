import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { normAxes, required } from './util.js';

export const argMax = (x: Value, axis = -1, keepdims = false): Value =>
  x.graph.op('ArgMax', [x], { axis, keepdims: keepdims ? 1 : 0 })[0];

registerOp({
  op: 'ArgMax',
  attrs: { axis: 'int', keepdims: 'int', select_last_index: 'int' },
  infer: (ctx) => {
    const [x] = required(ctx, 1);
    const [axis] = normAxes(ctx, [ctx.attr<number>('axis', 0)], x.shape.length);
    const keep = ctx.attr('keepdims', 1) === 1;
    const shape = keep ? x.shape.map((d, i) => (i === axis ? 1 : d)) : x.shape.filter((_, i) => i !== axis);
    return [{ dtype: 'int64', shape }];
  },
});
