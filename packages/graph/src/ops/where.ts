import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { unbroadcast } from './expand.js';
import { broadcast, lift, required } from './util.js';

/** Elementwise `cond ? a : b`. Numbers are lifted to the dtype of the other branch. */
export function where(cond: Value, a: Value | number, b: Value | number): Value {
  const like = typeof a === 'number' ? (b as Value) : a;
  return cond.graph.op('Where', [cond, lift(like, a), lift(like, b)])[0];
}

registerOp({
  op: 'Where',
  infer: (ctx) => {
    const [c, a, b] = required(ctx, 3);
    if (c.dtype !== 'bool') ctx.fail('condition must be bool');
    if (a.dtype !== b.dtype) ctx.fail('branches must share one dtype');
    return [{ dtype: a.dtype, shape: broadcast(ctx, [c.shape, a.shape, b.shape]) }];
  },
  vjp: ({ inputs: [c, a, b], grads: [g], needs }) => [
    undefined,
    needs[1] ? unbroadcast(where(c!, g!, 0), a!) : undefined,
    needs[2] ? unbroadcast(where(c!, 0, g!), b!) : undefined,
  ],
});
