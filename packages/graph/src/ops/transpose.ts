import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { range, required } from './util.js';

export const transpose = (x: Value, perm?: number[]): Value =>
  x.graph.op('Transpose', [x], perm ? { perm } : {})[0];

registerOp({
  op: 'Transpose',
  attrs: { perm: 'ints' },
  infer: (ctx) => {
    const [x] = required(ctx, 1);
    const perm = ctx.attr<number[]>('perm', range(x.shape.length).reverse());
    // Sorted as numbers: the default string order puts 10 before 2.
    const sorted = [...perm].sort((p, q) => p - q);
    if (perm.length !== x.shape.length || sorted.some((p, i) => p !== i)) ctx.fail(`bad perm [${perm.join(', ')}]: not a permutation of the ${x.shape.length} axes`);
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }];
  },
  vjp: ({ inputs: [x], grads: [g], attr }) => {
    const perm = attr<number[]>('perm', range(x!.rank).reverse());
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [transpose(g!, inverse)];
  },
});
