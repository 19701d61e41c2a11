import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { broadcastShapes } from '../shape.js';
import { unbroadcast } from './grad-util.js';
import { freshDim, required } from './util.js';

/** Broadcast `x` to a shape: constant dims or a runtime int64 shape tensor. */
export function expand(x: Value, shape: number[] | Value): Value {
  const s = Array.isArray(shape) ? x.graph.int64s(shape) : shape;
  return x.graph.op('Expand', [x, s])[0];
}

registerOp({
  op: 'Expand',
  infer: (ctx) => {
    const [x, s] = required(ctx, 2);
    const dims = ctx.shapeValue(1);
    if (dims) return [{ dtype: x.dtype, shape: broadcastShapes([x.shape, dims], `node '${ctx.node.name}'`) }];
    const n = s.shape[0];
    if (typeof n !== 'number') return ctx.fail('shape input has unknown length');
    return [{ dtype: x.dtype, shape: Array.from({ length: Math.max(n, x.shape.length) }, (_, i) => freshDim(ctx, `d${i}`)) }];
  },
  vjp: ({ inputs: [x], grads: [g] }) => [unbroadcast(g!, x!), undefined],
});
