import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { cos } from './cos.js';
import { mul } from './mul.js';
import { inferUnary } from './util.js';

export const sin = (x: Value): Value => x.graph.op('Sin', [x])[0];

// d sin(x) = cos(x)
registerOp({
  op: 'Sin',
  infer: inferUnary,
  vjp: ({ inputs: [x], grads: [g] }) => [mul(g!, cos(x!))],
});
