import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { greater } from './compare.js';
import { where } from './where.js';
import { inferUnary } from './util.js';

export const relu = (x: Value): Value => x.graph.op('Relu', [x])[0];

registerOp({
  op: 'Relu',
  infer: inferUnary,
  vjp: ({ inputs: [x], grads: [g] }) => [where(greater(x!, x!.graph.scalar(0, x!.dtype)), g!, 0)],
});
