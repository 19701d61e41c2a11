import type { Value } from '../builder.js';
import { accumulationDtype } from '../dtype.js';
import { registerOp } from '../registry.js';
import { add } from './add.js';
import { less } from './compare.js';
import { cast } from './cast.js';
import { zerosLike } from './constant-of-shape.js';
import { countOf } from './reduce-sum.js';
import { scatterND } from './scatter-nd.js';
import { shapeOf } from './shape.js';
import { transpose } from './transpose.js';
import { unsqueeze } from './unsqueeze.js';
import { normAxes, range, required } from './util.js';
import { where } from './where.js';

export const gather = (x: Value, indices: Value, axis = 0): Value => x.graph.op('Gather', [x, indices], { axis })[0];

registerOp({
  op: 'Gather',
  attrs: { axis: 'int' },
  infer: (ctx) => {
    const [x, idx] = required(ctx, 2);
    if (idx.dtype !== 'int64' && idx.dtype !== 'int32') ctx.fail('indices must be int32 or int64');
    const [axis] = normAxes(ctx, [ctx.attr<number>('axis', 0)], x.shape.length);
    const hint = ctx.shapeValue(0);
    const c = ctx.constant(1);
    // Constant indices against a known dim: out of range is an error ONNX Runtime would raise when run.
    const dim = x.shape[axis];
    const outside = c && typeof dim === 'number' ? Array.from(c as ArrayLike<number | bigint>, Number).find((i) => i < -dim || i >= dim) : undefined;
    if (outside !== undefined) ctx.fail(`index ${outside} is out of range for axis ${axis} of size ${dim}`);
    if (hint && c && x.shape.length === 1) {
      const picked = Array.from(c as BigInt64Array, (i) => hint[Number(i) < 0 ? Number(i) + hint.length : Number(i)]);
      ctx.setShapeValue(0, picked);
    }
    return [{ dtype: x.dtype, shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)] }];
  },
  // Scatter-add the output gradient into zeros of the input's shape (repeated indices accumulate),
  // in float32 for 16-bit gradients (see accumulationDtype), cast back once: the same float32
  // graph as ever, and one rounding per element in 16 bits.
  vjp: ({ inputs: [x, idx], grads: [g], attr }) => {
    const r = x!.rank;
    const axis = attr<number>('axis', 0) < 0 ? attr<number>('axis', 0) + r : attr<number>('axis', 0);
    // Negative indices count from the end. In the indices' own dtype, the axis length counted on
    // the device: int32 indices keep this on the GPU (WebGPU has no int64 arithmetic).
    const ids = where(less(idx!, 0), add(idx!, countOf(shapeOf(x!, axis, axis + 1), idx!.dtype)), idx!);
    // Bring `axis` to the front so ScatterND's leading-index form applies.
    const perm = [axis, ...range(r).filter((a) => a !== axis)];
    const xt = axis === 0 ? x! : transpose(x!, perm);
    const q = idx!.rank;
    const gPerm = [...range(q, axis), ...range(axis), ...range(r - 1 - axis, axis + q)];
    const gt = axis === 0 ? g! : transpose(g!, gPerm);
    const acc = accumulationDtype(g!.dtype);
    const dxt = cast(scatterND(zerosLike(xt, acc), cast(unsqueeze(ids, [-1]), 'int64'), cast(gt, acc), 'add'), g!.dtype);
    return [axis === 0 ? dxt : transpose(dxt, perm.map((_, i) => perm.indexOf(i))), undefined];
  },
});
