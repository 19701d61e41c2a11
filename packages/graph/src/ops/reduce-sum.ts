import type { Value } from '../builder.js';
import { registerOp, type VjpCtx } from '../registry.js';
import { expand } from './expand.js';
import { inferReduce, REDUCE_ATTRS } from './reduce.js';
import { shapeOf } from './shape.js';
import { unsqueeze } from './unsqueeze.js';
import { range } from './util.js';

/** Sum over `axes` (all axes when omitted). */
export function reduceSum(x: Value, axes?: number[], keepdims = true): Value {
  const g = x.graph;
  return g.op('ReduceSum', [x, axes && g.int64s(axes)], { keepdims: keepdims ? 1 : 0 })[0];
}

/** Axes (normalised) a reduce node reduced, from the VJP context. */
export function axesOf({ inputs: [x, axes], attr }: VjpCtx): number[] {
  const given = axes ? Array.from(x!.graph.constantOf(axes.name) as BigInt64Array, Number) : [];
  if (given.length === 0) return attr('noop_with_empty_axes', 0) ? [] : range(x!.rank);
  return given.map((a) => (a < 0 ? a + x!.rank : a));
}

/** The output gradient with the reduced axes restored as size-1 dims. */
export function keptGrad(ctx: VjpCtx): Value {
  const g = ctx.grads[0]!;
  const axes = axesOf(ctx);
  return ctx.attr('keepdims', 1) || axes.length === 0 ? g : unsqueeze(g, axes);
}

// Each input element contributed once to its sum: broadcast the gradient back.
registerOp({
  op: 'ReduceSum',
  attrs: REDUCE_ATTRS,
  infer: inferReduce,
  vjp: (ctx) => [expand(keptGrad(ctx), shapeOf(ctx.inputs[0]!)), undefined],
});
