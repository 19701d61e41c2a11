import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { constInts, inferUnary, normAxes, required } from './util.js';

export interface CumSumOptions {
  /** Sum of the elements before each position, not including it. */
  exclusive?: boolean;
  /** Accumulate from the end of the axis. */
  reverse?: boolean;
}

/** Running sum along `axis` (e.g. position ids from an attention mask). */
export function cumSum(x: Value, axis: number, opts: CumSumOptions = {}): Value {
  const attrs = { exclusive: opts.exclusive ? 1 : 0, reverse: opts.reverse ? 1 : 0 };
  return x.graph.op('CumSum', [x, x.graph.constant([axis], 'int64', [])], attrs)[0];
}

// Each input feeds every output at or after it, so the gradient is the running sum the other way.
registerOp({
  op: 'CumSum',
  attrs: { exclusive: 'int', reverse: 'int' },
  infer: (ctx) => {
    const [x] = required(ctx, 2);
    // The axis is a runtime input; a constant one is checked here, not first when the node runs.
    if (ctx.constant(1)) normAxes(ctx, constInts(ctx, 1, 'axis'), x.shape.length);
    return inferUnary(ctx);
  },
  vjp: ({ inputs: [, axis], grads: [g], attr }) => {
    const attrs = { exclusive: attr<number>('exclusive', 0), reverse: 1 - attr<number>('reverse', 0) };
    return [g!.graph.op('CumSum', [g!, axis], attrs)[0], undefined];
  },
});
