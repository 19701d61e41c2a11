import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { mul } from './mul.js';
import { inferUnary } from './util.js';

export const sin = (x: Value): Value => x.graph.op('Sin', [x])[0];

// d sin(x) = cos(x). Cos emitted directly, not through cos(): Cos's VJP is a Sin, so cos.ts
// imports this file, and importing it back would close a circle.
registerOp({
  op: 'Sin',
  infer: inferUnary,
  vjp: ({ inputs: [x], grads: [g] }) => [mul(g!, x!.graph.op('Cos', [x!])[0])],
});
