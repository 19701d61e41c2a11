import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { mul } from './mul.js';
import { neg } from './neg.js';
import { sin } from './sin.js';
import { inferUnary } from './util.js';

export const cos = (x: Value): Value => x.graph.op('Cos', [x])[0];

// d cos(x) = -sin(x)
registerOp({
  op: 'Cos',
  infer: inferUnary,
  vjp: ({ inputs: [x], grads: [g] }) => [mul(g!, neg(sin(x!)))],
});
