import type { Value } from '../builder.js';
import type { Dim } from '../ir.js';
import type { InferCtx } from '../op-def.js';
import { registerOp } from '../registry.js';
import { concat } from './concat.js';
import { zerosLike } from './constant-of-shape.js';
import { freshDim, normAxes, required, sumDims } from './util.js';

/** Split along `axis` into pieces of the given sizes (constant list or runtime int64 tensor). */
export function split(x: Value, sizes: number[] | Value, axis: number, count?: number): Value[] {
  const n = Array.isArray(sizes) ? sizes.length : count;
  if (!n) throw new Error('split: the number of outputs is needed when sizes are a runtime tensor');
  const s = Array.isArray(sizes) ? x.graph.int64s(sizes) : sizes;
  return x.graph.op('Split', [x, s], { axis }, { outputs: n });
}

/**
 * The dims of a Split's pieces: its sizes input (the elements it holds, known or named), else
 * num_outputs pieces of ceil(dim / n), the last one smaller (ONNX's rule). Sizes of the wrong
 * count, negative, or not summing to a known dim are refused here: ONNX Runtime would refuse
 * them only when the session is made or the node runs.
 */
function pieceDims(ctx: InferCtx, dim: Dim, n: number): Dim[] {
  if (!ctx.inputs[1]) return evenPieces(ctx, dim, n);
  if (ctx.node.attrs.num_outputs !== undefined) ctx.fail('takes split sizes or num_outputs, not both');
  if (ctx.inputs[1].dtype !== 'int64' || ctx.inputs[1].shape.length !== 1) ctx.fail('split sizes must be a 1-D int64 tensor');
  // Sizes computed at run time name the pieces after their elements: splits by the same sizes agree.
  const sizes = ctx.elements(1);
  if (!sizes) return Array.from({ length: n }, (_, i) => freshDim(ctx, `split${i}`));
  if (sizes.length !== n) ctx.fail(`${sizes.length} split sizes [${sizes.join(', ')}] for ${n} outputs`);
  if (sizes.some((d) => typeof d === 'number' && d < 0)) ctx.fail(`negative split size in [${sizes.join(', ')}]`);
  const total = sumDims(sizes);
  if (typeof total === 'number' && typeof dim === 'number' && total !== dim) ctx.fail(`split sizes [${sizes.join(', ')}] sum to ${total}, not to the split dim ${dim}`);
  return sizes;
}

function evenPieces(ctx: InferCtx, dim: Dim, n: number): Dim[] {
  if (ctx.attr<number>('num_outputs', n) !== n) ctx.fail(`num_outputs ${ctx.attr<number>('num_outputs')} but ${n} outputs`);
  if (typeof dim !== 'number') return Array.from({ length: n }, (_, i) => freshDim(ctx, `split${i}`));
  const piece = Math.ceil(dim / n);
  const last = dim - piece * (n - 1);
  if (last < 0) ctx.fail(`cannot split ${dim} into ${n} pieces of ${piece}`);
  return Array.from({ length: n }, (_, i) => (i < n - 1 ? piece : last));
}

registerOp({
  op: 'Split',
  attrs: { axis: 'int', num_outputs: 'int' },
  infer: (ctx) => {
    const [x] = required(ctx, 1);
    const [axis] = normAxes(ctx, [ctx.attr<number>('axis', 0)], x.shape.length);
    const dims = pieceDims(ctx, x.shape[axis], ctx.node.outputs.length);
    return dims.map((d) => ({ dtype: x.dtype, shape: x.shape.map((e, i) => (i === axis ? d : e)) }));
  },
  // Outputs that do not reach the loss contribute zeros.
  vjp: ({ outputs, grads, attr }) => [concat(grads.map((g, i) => g ?? zerosLike(outputs[i])), attr<number>('axis', 0)), undefined],
});
