import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { mul } from './mul.js';
import { reduceSum } from './reduce-sum.js';
import { sub } from './sub.js';
import { inferUnary, normAxes, required } from './util.js';

export const softmax = (x: Value, axis = -1): Value => x.graph.op('Softmax', [x], { axis })[0];

// dx = y * (g - sum(g * y))
registerOp({
  op: 'Softmax',
  attrs: { axis: 'int' },
  infer: (ctx) => {
    const [x] = required(ctx, 1);
    normAxes(ctx, [ctx.attr<number>('axis', -1)], x.shape.length);
    return inferUnary(ctx);
  },
  vjp: ({ outputs: [y], grads: [g], attr }) => {
    const gy = mul(g!, y);
    return [sub(gy, mul(y, reduceSum(gy, [attr<number>('axis', -1)], true)))];
  },
});
