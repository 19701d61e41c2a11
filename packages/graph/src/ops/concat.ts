import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { shapeOf } from './shape.js';
import { normAxes, sumDims } from './util.js';

/**
 * Most inputs one Concat node takes. A WebGPU shader binds at most 16 storage buffers, and the
 * Concat's gradient is a Split with one output per input: wider concatenations are built as a tree.
 */
const MAX_CONCAT_INPUTS = 8;

export function concat(values: Value[], axis: number): Value {
  if (values.length <= MAX_CONCAT_INPUTS) return values[0].graph.op('Concat', values, { axis })[0];
  const groups = Array.from({ length: Math.ceil(values.length / MAX_CONCAT_INPUTS) }, (_, i) => values.slice(i * MAX_CONCAT_INPUTS, (i + 1) * MAX_CONCAT_INPUTS));
  return concat(groups.map((g) => concat(g, axis)), axis);
}

registerOp({
  op: 'Concat',
  attrs: { axis: 'int' },
  infer: (ctx) => {
    const ts = ctx.inputs.map((t, i) => t ?? ctx.fail(`input ${i} is required`));
    const rank = ts[0].shape.length;
    const [axis] = normAxes(ctx, [ctx.attr<number>('axis')], rank);
    if (ts.some((t) => t.dtype !== ts[0].dtype || t.shape.length !== rank)) ctx.fail('inputs must share dtype and rank');
    const shape = [...ts[0].shape];
    shape[axis] = sumDims(ts.map((t) => t.shape[axis]));
    // Concatenated shape vectors stay known, so a Reshape fed by them keeps its symbols.
    const hints = ts.map((_, i) => ctx.shapeValue(i));
    if (rank === 1 && hints.every((h) => h)) ctx.setShapeValue(0, hints.flat() as (number | string)[]);
    return [{ dtype: ts[0].dtype, shape }];
  },
  vjp: ({ inputs, grads: [g], needs, attr }) => {
    const axis = attr<number>('axis');
    const dims = inputs.map((x) => x!.shape[axis < 0 ? axis + x!.rank : axis]);
    const sizes = dims.every((d) => typeof d === 'number')
      ? g!.graph.int64s(dims as number[])
      : concat(
          inputs.map((x) => {
            const a = axis < 0 ? axis + x!.rank : axis;
            return shapeOf(x!, a, a + 1);
          }),
          0,
        );
    // Split emitted directly, not through split(): Split's VJP is a Concat, so split.ts imports
    // this file, and importing it back would close a circle.
    const parts = g!.graph.op('Split', [g!, sizes], { axis }, { outputs: inputs.length });
    return parts.map((p, i) => (needs[i] ? p : undefined));
  },
});
