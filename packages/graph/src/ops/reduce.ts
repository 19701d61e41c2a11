import type { TensorType } from '../ir.js';
import type { InferCtx } from '../op-def.js';
import { constInts, normAxes, range, required } from './util.js';

/**
 * The axes a Reduce* node reduces, for shape inference and the VJPs (axesOf) alike: `given`, its
 * axes input normalised (empty when absent), or when that is empty every axis of its rank-`rank`
 * input, or none with noop_with_empty_axes.
 */
export const reducedAxes = (given: number[], rank: number, noopWithEmptyAxes: number): number[] =>
  given.length > 0 ? given : noopWithEmptyAxes ? [] : range(rank);

export function inferReduce(ctx: InferCtx): TensorType[] {
  const [x] = required(ctx, 1);
  const r = x.shape.length;
  const given = ctx.inputs[1] ? normAxes(ctx, constInts(ctx, 1, 'axes'), r) : [];
  const axes = reducedAxes(given, r, ctx.attr('noop_with_empty_axes', 0));
  const keep = ctx.attr('keepdims', 1) === 1;
  const shape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  return [{ dtype: x.dtype, shape }];
}

export const REDUCE_ATTRS = { keepdims: 'int', noop_with_empty_axes: 'int' } as const;
