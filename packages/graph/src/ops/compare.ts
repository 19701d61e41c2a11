// Comparisons and logic: boolean outputs, so no gradient flows through them.
import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { inferBroadcast, inferUnary, lift } from './util.js';

const boolBinary = (op: string) => {
  registerOp({ op, infer: inferBroadcast(2, 'bool') });
  return (a: Value, b: Value | number): Value => a.graph.op(op, [a, lift(a, b)])[0];
};

export const equal = boolBinary('Equal');
export const less = boolBinary('Less');
export const greater = boolBinary('Greater');
export const lessOrEqual = boolBinary('LessOrEqual');
export const greaterOrEqual = boolBinary('GreaterOrEqual');

registerOp({ op: 'And', infer: inferBroadcast(2) });
registerOp({ op: 'Or', infer: inferBroadcast(2) });
registerOp({ op: 'Not', infer: inferUnary });

export const and = (a: Value, b: Value): Value => a.graph.op('And', [a, b])[0];
export const or = (a: Value, b: Value): Value => a.graph.op('Or', [a, b])[0];
export const not = (a: Value): Value => a.graph.op('Not', [a])[0];
