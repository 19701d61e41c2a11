import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { squeeze } from './squeeze.js';
import { constInts, normAxes, required } from './util.js';

export const unsqueeze = (x: Value, axes: number[]): Value => x.graph.op('Unsqueeze', [x, x.graph.int64s(axes)])[0];

registerOp({
  op: 'Unsqueeze',
  infer: (ctx) => {
    const [x] = required(ctx, 1);
    const rank = x.shape.length + constInts(ctx, 1, 'axes').length;
    const axes = normAxes(ctx, constInts(ctx, 1, 'axes'), rank);
    const shape = [...x.shape];
    for (const a of [...axes].sort((p, q) => p - q)) shape.splice(a, 0, 1);
    const hint = ctx.shapeValue(0);
    if (hint && x.shape.length === 0) ctx.setShapeValue(0, hint);
    return [{ dtype: x.dtype, shape }];
  },
  vjp: (ctx) => [squeeze(ctx.grads[0]!, ctx.constInts(1)), undefined],
});
