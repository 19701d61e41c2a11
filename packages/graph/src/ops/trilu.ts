import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { inferUnary, required } from './util.js';

/** Keep the upper (or lower) triangle of the last two dims, shifted by k diagonals. */
export function trilu(x: Value, upper: boolean, k = 0): Value {
  return x.graph.op('Trilu', [x, k === 0 ? undefined : x.graph.constant([k], 'int64', [])], { upper: upper ? 1 : 0 })[0];
}

registerOp({
  op: 'Trilu',
  attrs: { upper: 'int' },
  infer: (ctx) => {
    const [x] = required(ctx, 1);
    if (x.shape.length < 2) ctx.fail(`needs rank >= 2 (a matrix or a batch of them), has ${x.shape.length}`);
    return inferUnary(ctx);
  },
  vjp: ({ inputs: [, k], grads: [g], attr }) => [g!.graph.op('Trilu', [g!, k], { upper: attr('upper', 1) })[0], undefined],
});
