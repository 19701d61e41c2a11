import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
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
    if (idx.shape.length !== x.shape.length) ctx.fail('indices must have the rank of the data');
    normAxes(ctx, [ctx.attr<number>('axis', 0)], x.shape.length);
    return [{ dtype: x.dtype, shape: [...idx.shape] }];
  },
  vjp: ({ inputs: [x, idx], grads: [g], attr }) => [
    scatterElements(zerosLike(x!), idx!, g!, attr<number>('axis', 0), 'add'),
    undefined,
  ],
});
