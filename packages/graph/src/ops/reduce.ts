import type { InferCtx } from '../registry.js';
import type { TensorType } from '../ir.js';
import { constInts, normAxes, range, required } from './util.js';

/** Axes a Reduce* node reduces: its constant axes input, or all axes when absent. */
export function reducedAxes(ctx: InferCtx): number[] {
  const [x] = required(ctx, 1);
  const r = x.shape.length;
  const given = ctx.inputs[1] ? constInts(ctx, 1, 'axes') : [];
  if (given.length === 0) return ctx.attr('noop_with_empty_axes', 0) ? [] : range(r);
  return normAxes(ctx, given, r);
}

export function inferReduce(ctx: InferCtx): TensorType[] {
  const [x] = required(ctx, 1);
  const axes = reducedAxes(ctx);
  const keep = ctx.attr('keepdims', 1) === 1;
  const shape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  return [{ dtype: x.dtype, shape }];
}

export const REDUCE_ATTRS = { keepdims: 'int', noop_with_empty_axes: 'int' } as const;
