import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { inferUnary } from './util.js';

/** To the nearest integer, halves to even (ONNX Round). */
export const round = (x: Value): Value => x.graph.op('Round', [x])[0];

// No VJP: its derivative is zero wherever it exists; quantisation passes it by (a straight-through
// gradient) instead of differentiating it.
registerOp({ op: 'Round', infer: inferUnary });
