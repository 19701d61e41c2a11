import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { reshapeLike } from './reshape.js';
import { required } from './util.js';

export const flatten = (x: Value, axis = 1): Value => x.graph.op('Flatten', [x], { axis })[0];

const join = (dims: (number | string)[]) =>
  dims.every((d) => typeof d === 'number') ? (dims as number[]).reduce((a, b) => a * b, 1) : dims.join('*');

registerOp({
  op: 'Flatten',
  attrs: { axis: 'int' },
  infer: (ctx) => {
    const [x] = required(ctx, 1);
    const r = x.shape.length;
    let axis = ctx.attr<number>('axis', 1);
    if (axis < 0) axis += r;
    if (axis < 0 || axis > r) ctx.fail(`axis ${ctx.attr<number>('axis', 1)} out of range for rank ${r}`);
    return [{ dtype: x.dtype, shape: [join(x.shape.slice(0, axis)), join(x.shape.slice(axis))] }];
  },
  vjp: ({ inputs: [x], grads: [g] }) => [reshapeLike(g!, x!)],
});
