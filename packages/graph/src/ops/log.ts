import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { div } from './div.js';
import { inferUnary } from './util.js';

export const log = (x: Value): Value => x.graph.op('Log', [x])[0];

registerOp({ op: 'Log', infer: inferUnary, vjp: ({ inputs: [x], grads: [g] }) => [div(g!, x!)] });
