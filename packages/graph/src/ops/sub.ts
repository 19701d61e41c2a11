import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { unbroadcast } from './expand.js';
import { neg } from './neg.js';
import { inferBroadcast, lift } from './util.js';

export const sub = (a: Value, b: Value | number): Value => a.graph.op('Sub', [a, lift(a, b)])[0];

registerOp({
  op: 'Sub',
  infer: inferBroadcast(2),
  vjp: ({ inputs: [a, b], grads: [g], needs }) => [
    needs[0] ? unbroadcast(g!, a!) : undefined,
    needs[1] ? unbroadcast(neg(g!), b!) : undefined,
  ],
});
