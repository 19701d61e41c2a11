import type { Value } from '../builder.js';
import type { DType } from '../dtype.js';
import type { VjpCtx } from '../op-def.js';
import { registerOp } from '../registry.js';
import { normAxis } from '../shape.js';
import { expand } from './expand.js';
import { inferReduce, REDUCE_ATTRS, reducedAxes } from './reduce.js';
import { shapeOf } from './shape.js';
import { unsqueeze } from './unsqueeze.js';

/** Sum over `axes` (all axes when omitted). */
export function reduceSum(x: Value, axes?: number[], keepdims = true): Value {
  const g = x.graph;
  return g.op('ReduceSum', [x, axes && g.int64s(axes)], { keepdims: keepdims ? 1 : 0 })[0];
}

/** Axes (normalised) a reduce node reduced, from its VJP context. */
export function axesOf({ node, inputs: [x, axes], attr, constInts }: VjpCtx): number[] {
  const given = axes ? constInts(1).map((a) => normAxis(a, x!.rank, `node '${node.name}'`)) : [];
  return reducedAxes(given, x!.rank, attr('noop_with_empty_axes', 0));
}

/** The output gradient with the reduced axes restored as size-1 dims. */
export function keptGrad(ctx: VjpCtx): Value {
  const g = ctx.grads[0]!;
  const axes = axesOf(ctx);
  return ctx.attr('keepdims', 1) || axes.length === 0 ? g : unsqueeze(g, axes);
}

/**
 * The number of elements of a tensor of runtime shape `dims` (1-D int64), as a `dtype` scalar
 * computed on the device: the sum of that many ones. Casting the shape's int64 product instead
 * runs on the CPU on WebGPU (no kernel casts from int64) and copies the scalar over every run.
 * Counts up to 2^24 are exact in float32.
 */
export const countOf = (dims: Value, dtype: DType): Value => reduceSum(expand(dims.graph.scalar(1, dtype), dims), undefined, false);

// Each input element contributed once to its sum: broadcast the gradient back.
registerOp({
  op: 'ReduceSum',
  attrs: REDUCE_ATTRS,
  infer: inferReduce,
  vjp: (ctx) => [expand(keptGrad(ctx), shapeOf(ctx.inputs[0]!)), undefined],
});
