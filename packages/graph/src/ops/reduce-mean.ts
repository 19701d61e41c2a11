import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { cast } from './cast.js';
import { div } from './div.js';
import { expand } from './expand.js';
import { gather } from './gather.js';
import { inferReduce, REDUCE_ATTRS } from './reduce.js';
import { axesOf, countOf, keptGrad } from './reduce-sum.js';
import { shapeOf } from './shape.js';

export function reduceMean(x: Value, axes?: number[], keepdims = true): Value {
  const g = x.graph;
  return g.op('ReduceMean', [x, axes && g.int64s(axes)], { keepdims: keepdims ? 1 : 0 })[0];
}

// Each input element contributes 1/count of its mean; count is known statically when its dims are.
registerOp({
  op: 'ReduceMean',
  attrs: REDUCE_ATTRS,
  infer: inferReduce,
  vjp: (ctx) => {
    const x = ctx.inputs[0]!;
    const dims = axesOf(ctx).map((a) => x.shape[a]);
    // Counted in float32 (exact where float16 is not, beyond 2048), then cast.
    const count = dims.every((d) => typeof d === 'number')
      ? (dims as number[]).reduce((a, b) => a * b, 1)
      : cast(countOf(gather(shapeOf(x), x.graph.int64s(axesOf(ctx)), 0), 'float32'), x.dtype);
    return [expand(div(keptGrad(ctx), count), shapeOf(x)), undefined];
  },
});
