import type { Value } from '../builder.js';
import { GraphError } from '../graph-error.js';
import { registerOp } from '../registry.js';
import { broadcast, freshDim, range, required } from './util.js';

/** Broadcast `x` to a shape: constant dims or a runtime int64 shape tensor. */
export function expand(x: Value, shape: number[] | Value): Value {
  const s = Array.isArray(shape) ? x.graph.int64s(shape) : shape;
  return x.graph.op('Expand', [x, s])[0];
}

// ReduceSum emitted directly, not through reduceSum(): ReduceSum's VJP is an Expand, so
// reduce-sum.ts imports this file, and importing it back would close a circle.
const sum = (x: Value, axes: number[], keepdims: 0 | 1): Value => x.graph.op('ReduceSum', [x, x.graph.int64s(axes)], { keepdims })[0];

/**
 * Sum a broadcast gradient back down to the shape of the input it flowed from: reduce the
 * leading axes the input lacked and keep-dim reduce the axes where the input had size 1.
 * Equal symbols never broadcast (see broadcastShapes), so the axes are known at build time.
 * Expand's VJP, and that of every op that broadcasts its inputs (Add, Mul, Where, ...).
 */
export function unbroadcast(g: Value, like: Value): Value {
  let out = g;
  const lead = g.rank - like.rank;
  if (lead < 0) throw new GraphError(`gradient '${g.name}' has lower rank than '${like.name}'`);
  if (lead > 0) out = sum(out, range(lead), 0);
  const axes = like.shape.flatMap((d, i) => (d === 1 && out.shape[i] !== 1 ? [i] : []));
  if (axes.length) out = sum(out, axes, 1);
  return out;
}

registerOp({
  op: 'Expand',
  infer: (ctx) => {
    const [x, s] = required(ctx, 2);
    if (s.dtype !== 'int64' || s.shape.length !== 1) ctx.fail('the shape input must be a 1-D int64 tensor');
    const dims = ctx.shapeValue(1);
    if (dims) return [{ dtype: x.dtype, shape: broadcast(ctx, [x.shape, dims]) }];
    const n = s.shape[0];
    if (typeof n !== 'number') return ctx.fail('shape input has unknown length');
    return [{ dtype: x.dtype, shape: Array.from({ length: Math.max(n, x.shape.length) }, (_, i) => freshDim(ctx, `d${i}`)) }];
  },
  vjp: ({ inputs: [x], grads: [g] }) => [unbroadcast(g!, x!), undefined],
});
