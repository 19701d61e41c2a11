import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { mul } from './mul.js';
import { sub } from './sub.js';
import { inferUnary } from './util.js';

export const tanh = (x: Value): Value => x.graph.op('Tanh', [x])[0];

// d tanh = 1 - y^2
registerOp({
  op: 'Tanh',
  infer: inferUnary,
  vjp: ({ outputs: [y], grads: [g] }) => [sub(g!, mul(g!, mul(y, y)))],
});
