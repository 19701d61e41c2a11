import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { inferUnary } from './util.js';

export const neg = (x: Value): Value => x.graph.op('Neg', [x])[0];

registerOp({ op: 'Neg', infer: inferUnary, vjp: ({ grads: [g] }) => [neg(g!)] });
