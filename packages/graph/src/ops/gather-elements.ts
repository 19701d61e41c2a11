import type { Value } from '../builder.js';
import { accumulationDtype } from '../dtype.js';
import { registerOp } from '../registry.js';
import { cast } from './cast.js';
import { zerosLike } from './constant-of-shape.js';
import { scatterElements } from './scatter-elements.js';
import { normAxes, required } from './util.js';

export const gatherElements = (x: Value, indices: Value, axis: number): Value =>
  x.graph.op('GatherElements', [x, indices], { axis })[0];

registerOp({
  op: 'GatherElements',
  attrs: { axis: 'int' },
  infer: (ctx) => {
    const [x, idx] = required(ctx, 2);
    if (idx.dtype !== 'int64' && idx.dtype !== 'int32') ctx.fail('indices must be int32 or int64');
    if (idx.shape.length !== x.shape.length) ctx.fail('indices must have the rank of the data');
    normAxes(ctx, [ctx.attr<number>('axis', 0)], x.shape.length);
    return [{ dtype: x.dtype, shape: [...idx.shape] }];
  },
  // Scatter-add in float32 for 16-bit gradients (see accumulationDtype), as Gather's.
  vjp: ({ inputs: [x, idx], grads: [g], attr }) => {
    const acc = accumulationDtype(g!.dtype);
    return [cast(scatterElements(zerosLike(x!, acc), idx!, cast(g!, acc), attr<number>('axis', 0), 'add'), g!.dtype), undefined];
  },
});
