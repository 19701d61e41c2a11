import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { GraphError } from '../shape.js';
import { unbroadcast } from './grad-util.js';
import { sameDtype } from './util.js';
import { broadcastShapes } from '../shape.js';

/** Elementwise sum of any number of tensors (one node instead of a chain of Adds). */
export function sum(values: Value[]): Value {
  if (values.length === 0) throw new GraphError('sum of no values');
  return values.length === 1 ? values[0] : values[0].graph.op('Sum', values)[0];
}

registerOp({
  op: 'Sum',
  infer: (ctx) => {
    const ts = ctx.inputs.map((t, i) => t ?? ctx.fail(`input ${i} is required`));
    return [{ dtype: sameDtype(ctx, ts), shape: broadcastShapes(ts.map((t) => t.shape), `node '${ctx.node.name}'`) }];
  },
  vjp: ({ inputs, grads: [g], needs }) => inputs.map((x, i) => (needs[i] ? unbroadcast(g!, x!) : undefined)),
});
