import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { mul } from './mul.js';
import { reduceSum } from './reduce-sum.js';
import { sub } from './sub.js';
import { inferUnary, normAxes } from './util.js';

export const softmax = (x: Value, axis = -1): Value => x.graph.op('Softmax', [x], { axis })[0];

// dx = y * (g - sum(g * y))
registerOp({
  op: 'Softmax',
  attrs: { axis: 'int' },
  infer: (ctx) => {
    normAxes(ctx, [ctx.attr<number>('axis', -1)], ctx.inputs[0]?.shape.length ?? 0);
    return inferUnary(ctx);
  },
  vjp: ({ outputs: [y], grads: [g], attr }) => {
    const gy = mul(g!, y);
    return [sub(gy, mul(y, reduceSum(gy, [attr<number>('axis', -1)], true)))];
  },
});
