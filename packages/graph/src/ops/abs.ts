import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { less } from './compare.js';
import { neg } from './neg.js';
import { inferUnary } from './util.js';
import { where } from './where.js';

export const abs = (x: Value): Value => x.graph.op('Abs', [x])[0];

// d |x| = sign(x), taken as 1 at 0 (PyTorch's and tfjs' choice is 0 there; a measure-zero point).
registerOp({ op: 'Abs', infer: inferUnary, vjp: ({ inputs: [x], grads: [g] }) => [where(less(x!, 0), neg(g!), g!)] });
