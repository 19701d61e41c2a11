import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { cast } from './cast.js';
import { equal } from './compare.js';
import { div } from './div.js';
import { mul } from './mul.js';
import { inferReduce, REDUCE_ATTRS } from './reduce.js';
import { axesOf, reduceSum } from './reduce-sum.js';
import { unsqueeze } from './unsqueeze.js';

export function reduceMax(x: Value, axes?: number[], keepdims = true): Value {
  const g = x.graph;
  return g.op('ReduceMax', [x, axes && g.int64s(axes)], { keepdims: keepdims ? 1 : 0 })[0];
}

// The gradient goes to the maximal elements, split evenly between ties.
registerOp({
  op: 'ReduceMax',
  attrs: REDUCE_ATTRS,
  infer: inferReduce,
  vjp: (ctx) => {
    const x = ctx.inputs[0]!;
    const axes = axesOf(ctx);
    const keep = ctx.attr('keepdims', 1) || axes.length === 0;
    const y = keep ? ctx.outputs[0] : unsqueeze(ctx.outputs[0], axes);
    const g = keep ? ctx.grads[0]! : unsqueeze(ctx.grads[0]!, axes);
    const mask = cast(equal(x, y), x.dtype);
    const share = div(mask, reduceSum(mask, axes, true));
    return [mul(share, g), undefined];
  },
});
