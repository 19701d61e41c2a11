import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { mul } from './mul.js';
import { inferUnary } from './util.js';

export const exp = (x: Value): Value => x.graph.op('Exp', [x])[0];

registerOp({ op: 'Exp', infer: inferUnary, vjp: ({ outputs: [y], grads: [g] }) => [mul(g!, y)] });
