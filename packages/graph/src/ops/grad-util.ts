import type { Value } from '../builder.js';
import type { DType } from '../dtype.js';
import { GraphError } from '../shape.js';
import { expand } from './expand.js';
import { reduceSum } from './reduce-sum.js';
import { reshape } from './reshape.js';
import { shapeOf } from './shape.js';
import { range } from './util.js';

/**
 * Sum a broadcast gradient back down to the shape of the input it flowed from: reduce the
 * leading axes the input lacked and keep-dim reduce the axes where the input had size 1.
 * Equal symbols never broadcast (see broadcastShapes), so the axes are known at build time.
 */
export function unbroadcast(g: Value, like: Value): Value {
  let out = g;
  const lead = g.rank - like.rank;
  if (lead < 0) throw new GraphError(`gradient '${g.name}' has lower rank than '${like.name}'`);
  if (lead > 0) out = reduceSum(out, range(lead), false);
  const axes = like.shape.flatMap((d, i) => (d === 1 && out.shape[i] !== 1 ? [i] : []));
  if (axes.length) out = reduceSum(out, axes, true);
  return out;
}

/**
 * Reshape `g` back to `like`'s shape (for ops that only rearrange elements). A constant target
 * where it can be one: `like`'s static dims, and 0 (keep g's dim) where g has the same symbol in
 * the same place. Else the runtime shape; ONNX Runtime's transpose optimiser turns a Shape of a
 * transposed value into a Gather of int64 dims that it places on the CPU.
 */
export function reshapeLike(g: Value, like: Value): Value {
  const dims = like.shape.map((d, i) => (typeof d === 'number' ? (d > 0 ? d : undefined) : g.shape[i] === d ? 0 : undefined));
  return reshape(g, dims.every((d) => d !== undefined) ? (dims as number[]) : shapeOf(like));
}

/**
 * The number of elements of a tensor of runtime shape `dims` (1-D int64), as a `dtype` scalar
 * computed on the device: the sum of that many ones. Casting the shape's int64 product instead
 * runs on the CPU on WebGPU (no kernel casts from int64) and copies the scalar over every run.
 * Counts up to 2^24 are exact in float32.
 */
export const countOf = (dims: Value, dtype: DType): Value => reduceSum(expand(dims.graph.scalar(1, dtype), dims), undefined, false);
