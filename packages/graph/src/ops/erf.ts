import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { exp } from './exp.js';
import { mul } from './mul.js';
import { neg } from './neg.js';
import { inferUnary } from './util.js';

export const erf = (x: Value): Value => x.graph.op('Erf', [x])[0];

// d erf(x) = 2/sqrt(pi) * exp(-x^2)
registerOp({
  op: 'Erf',
  infer: inferUnary,
  vjp: ({ inputs: [x], grads: [g] }) => [mul(g!, mul(exp(neg(mul(x!, x!))), 2 / Math.sqrt(Math.PI)))],
});
