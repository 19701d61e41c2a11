import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { mul } from './mul.js';
import { sub } from './sub.js';
import { inferUnary } from './util.js';

export const sigmoid = (x: Value): Value => x.graph.op('Sigmoid', [x])[0];

// d sigmoid = y (1 - y)
registerOp({
  op: 'Sigmoid',
  infer: inferUnary,
  vjp: ({ outputs: [y], grads: [g] }) => {
    const gy = mul(g!, y);
    return [sub(gy, mul(gy, y))];
  },
});
