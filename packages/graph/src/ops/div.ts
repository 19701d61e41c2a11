import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { unbroadcast } from './expand.js';
import { mul } from './mul.js';
import { neg } from './neg.js';
import { inferBroadcast, lift } from './util.js';

export const div = (a: Value, b: Value | number): Value => a.graph.op('Div', [a, lift(a, b)])[0];

// d(a/b)/da = 1/b;  d(a/b)/db = -(a/b)/b
registerOp({
  op: 'Div',
  infer: inferBroadcast(2),
  vjp: ({ inputs: [a, b], outputs: [y], grads: [g], needs }) => {
    const gb = needs[0] || needs[1] ? div(g!, b!) : undefined;
    return [needs[0] ? unbroadcast(gb!, a!) : undefined, needs[1] ? unbroadcast(neg(mul(gb!, y)), b!) : undefined];
  },
});
