import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { concat } from './concat.js';
import { zerosLike } from './constant-of-shape.js';
import { freshDim, normAxes, required } from './util.js';

/** Split along `axis` into pieces of the given sizes (constant list or runtime int64 tensor). */
export function split(x: Value, sizes: number[] | Value, axis: number, count?: number): Value[] {
  const n = Array.isArray(sizes) ? sizes.length : count;
  if (!n) throw new Error('split: the number of outputs is needed when sizes are a runtime tensor');
  const s = Array.isArray(sizes) ? x.graph.int64s(sizes) : sizes;
  return x.graph.op('Split', [x, s], { axis }, { outputs: n });
}

registerOp({
  op: 'Split',
  attrs: { axis: 'int', num_outputs: 'int' },
  infer: (ctx) => {
    const [x] = required(ctx, 1);
    const [axis] = normAxes(ctx, [ctx.attr<number>('axis', 0)], x.shape.length);
    const n = ctx.node.outputs.length;
    // Sizes computed at run time name the pieces after their elements: splits by the same sizes agree.
    const sizes = ctx.inputs[1] ? ctx.elements(1) : undefined;
    const dim = x.shape[axis];
    return Array.from({ length: n }, (_, i) => {
      const shape = [...x.shape];
      if (sizes) shape[axis] = sizes[i];
      else if (!ctx.inputs[1] && typeof dim === 'number') shape[axis] = Math.ceil(dim / n);
      else shape[axis] = freshDim(ctx, `split${i}`);
      return { dtype: x.dtype, shape };
    });
  },
  // Outputs that do not reach the loss contribute zeros.
  vjp: ({ outputs, grads, attr }) => [concat(grads.map((g, i) => g ?? zerosLike(outputs[i])), attr<number>('axis', 0)), undefined],
});
