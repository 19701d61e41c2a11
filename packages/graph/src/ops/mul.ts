import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { unbroadcast } from './expand.js';
import { inferBroadcast, lift } from './util.js';

export const mul = (a: Value, b: Value | number): Value => a.graph.op('Mul', [a, lift(a, b)])[0];

registerOp({
  op: 'Mul',
  infer: inferBroadcast(2),
  vjp: ({ inputs: [a, b], grads: [g], needs }) => [
    needs[0] ? unbroadcast(mul(g!, b!), a!) : undefined,
    needs[1] ? unbroadcast(mul(g!, a!), b!) : undefined,
  ],
});
