import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';

/** The `k` largest values along the last axis and their int64 indices (ONNX TopK, unsorted). */
export function topK(x: Value, k: number): [Value, Value] {
  const [values, indices] = x.graph.op('TopK', [x, x.graph.int64s([k])], { axis: -1, largest: 1, sorted: 0 }, { outputs: 2 });
  return [values, indices];
}

// No VJP: codistill uses the indices (which channels to keep in float32), not the values.
registerOp({
  op: 'TopK',
  attrs: { axis: 'int', largest: 'int', sorted: 'int' },
  infer: (ctx) => {
    const [x] = ctx.inputs;
    if (!x || x.shape.length === 0) ctx.fail('needs a tensor of rank >= 1');
    if (ctx.attr('axis', -1) !== -1) ctx.fail('only the last axis is supported');
    const k = ctx.elements(1)?.[0] ?? 'k';
    const shape = [...x!.shape.slice(0, -1), k];
    return [
      { dtype: x!.dtype, shape },
      { dtype: 'int64', shape },
    ];
  },
});
