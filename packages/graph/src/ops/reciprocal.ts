import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { mul } from './mul.js';
import { neg } from './neg.js';
import { inferUnary } from './util.js';

export const reciprocal = (x: Value): Value => x.graph.op('Reciprocal', [x])[0];

// d(1/x) = -1/x^2 = -y^2
registerOp({ op: 'Reciprocal', infer: inferUnary, vjp: ({ outputs: [y], grads: [g] }) => [neg(mul(g!, mul(y, y)))] });
