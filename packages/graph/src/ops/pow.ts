import type { Value } from '../builder.js';
import { GraphError } from '../graph-error.js';
import { registerOp } from '../registry.js';
import { unbroadcast } from './expand.js';
import { mul } from './mul.js';
import { sub } from './sub.js';
import { broadcast, lift, required } from './util.js';

export const pow = (x: Value, p: Value | number): Value => x.graph.op('Pow', [x, lift(x, p)])[0];

// d(x^p)/dx = p * x^(p-1). The exponent is treated as a constant (no gradient).
registerOp({
  op: 'Pow',
  infer: (ctx) => {
    const [x, p] = required(ctx, 2);
    return [{ dtype: x.dtype, shape: broadcast(ctx, [x.shape, p.shape]) }];
  },
  vjp: ({ node, inputs: [x, p], grads: [g], needs }) => {
    if (needs[1]) throw new GraphError(`${node.name}: Pow has no gradient for its exponent`);
    const dx = mul(mul(g!, p!), pow(x!, sub(p!, 1)));
    return [unbroadcast(dx, x!)];
  },
});
