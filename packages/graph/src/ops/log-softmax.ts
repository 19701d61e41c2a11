import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { exp } from './exp.js';
import { mul } from './mul.js';
import { reduceSum } from './reduce-sum.js';
import { sub } from './sub.js';
import { inferUnary, normAxes, required } from './util.js';

export const logSoftmax = (x: Value, axis = -1): Value => x.graph.op('LogSoftmax', [x], { axis })[0];

// dx = g - softmax(x) * sum(g)
registerOp({
  op: 'LogSoftmax',
  attrs: { axis: 'int' },
  infer: (ctx) => {
    const [x] = required(ctx, 1);
    normAxes(ctx, [ctx.attr<number>('axis', -1)], x.shape.length);
    return inferUnary(ctx);
  },
  vjp: ({ outputs: [y], grads: [g], attr }) => [sub(g!, mul(exp(y), reduceSum(g!, [attr<number>('axis', -1)], true)))],
});
