import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { inferUnary } from './util.js';

/** Keep the upper (or lower) triangle of the last two dims, shifted by k diagonals. */
export function trilu(x: Value, upper: boolean, k = 0): Value {
  return x.graph.op('Trilu', [x, k === 0 ? undefined : x.graph.constant([k], 'int64', [])], { upper: upper ? 1 : 0 })[0];
}

registerOp({
  op: 'Trilu',
  attrs: { upper: 'int' },
  infer: inferUnary,
  vjp: ({ inputs: [, k], grads: [g], attr }) => [g!.graph.op('Trilu', [g!, k], { upper: attr('upper', 1) })[0], undefined],
});
