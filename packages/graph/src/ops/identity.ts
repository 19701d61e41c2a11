import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { inferUnary } from './util.js';

export const identity = (x: Value, name?: string): Value =>
  x.graph.op('Identity', [x], {}, name ? { outputs: [name] } : {})[0];

registerOp({ op: 'Identity', infer: inferUnary, vjp: ({ grads: [g] }) => [g] });
