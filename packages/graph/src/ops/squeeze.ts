import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { reshapeLike } from './reshape.js';
import { constInts, dropAxes, normAxes, required } from './util.js';

export const squeeze = (x: Value, axes: number[]): Value => x.graph.op('Squeeze', [x, x.graph.int64s(axes)])[0];

registerOp({
  op: 'Squeeze',
  infer: (ctx) => {
    const [x] = required(ctx, 1);
    const axes = ctx.inputs[1]
      ? normAxes(ctx, constInts(ctx, 1, 'axes'), x.shape.length)
      : x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
    for (const a of axes) if (typeof x.shape[a] === 'number' && x.shape[a] !== 1) ctx.fail(`axis ${a} has size ${x.shape[a]}`);
    // One dim as a scalar is still that dim (the converse of Unsqueeze's rule).
    const hint = ctx.shapeValue(0);
    if (hint && x.shape.length === 1 && axes.length === 1) ctx.setShapeValue(0, hint);
    return [{ dtype: x.dtype, shape: dropAxes(x.shape, axes) }];
  },
  vjp: ({ inputs: [x], grads: [g] }) => [reshapeLike(g!, x!)],
});
