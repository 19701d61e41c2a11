import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { unbroadcast } from './expand.js';
import { inferBroadcast, lift } from './util.js';

export const add = (a: Value, b: Value | number): Value => a.graph.op('Add', [a, lift(a, b)])[0];

registerOp({
  op: 'Add',
  infer: inferBroadcast(2),
  vjp: ({ inputs: [a, b], grads: [g], needs }) => [
    needs[0] ? unbroadcast(g!, a!) : undefined,
    needs[1] ? unbroadcast(g!, b!) : undefined,
  ],
});
