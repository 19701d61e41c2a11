import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { div } from './div.js';
import { mul } from './mul.js';
import { inferUnary } from './util.js';

export const sqrt = (x: Value): Value => x.graph.op('Sqrt', [x])[0];

// d sqrt(x) = 1 / (2 sqrt(x))
registerOp({ op: 'Sqrt', infer: inferUnary, vjp: ({ outputs: [y], grads: [g] }) => [div(g!, mul(y, 2))] });
