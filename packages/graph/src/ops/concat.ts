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
      : (splitSizes(inputs as Value[], axis) ??
        concat(
          inputs.map((x) => {
            const a = axis < 0 ? axis + x!.rank : axis;
            return shapeOf(x!, a, a + 1);
          }),
          0,
        ));
    // Split emitted directly, not through split(): Split's VJP is a Concat, so split.ts imports
    // this file, and importing it back would close a circle.
    const parts = g!.graph.op('Split', [g!, sizes], { axis }, { outputs: inputs.length });
    return parts.map((p, i) => (needs[i] ? p : undefined));
  },
});

/**
 * The sizes a Concat's inputs were cut by, when they are the leading outputs of one Split by runtime
 * sizes along the same axis (the key prefixes of causal query blocks). Read from the Split rather
 * than from a Shape of each piece: ONNX Runtime's transpose optimiser turns the Shape of a piece it
 * transposes into an int64 Gather, which WebGPU has no kernel for.
 */
function splitSizes(inputs: Value[], axis: number): Value | undefined {
  const graph = inputs[0].graph;
  const split = graph.producer(inputs[0].name);
  if (split?.op !== 'Split' || !split.inputs[1] || !inputs.every((x, i) => split.outputs[i] === x.name)) return undefined;
  const rank = inputs[0].rank;
  const norm = (a: number) => (a < 0 ? a + rank : a);
  if (norm((split.attrs.axis as number | undefined) ?? 0) !== norm(axis)) return undefined;
  const sizes = graph.value(split.inputs[1]);
  if (inputs.length === split.outputs.length) return sizes;
  // Slice emitted directly, as Split above: slice.ts imports this file.
  return graph.op('Slice', [sizes, graph.int64s([0]), graph.int64s([inputs.length])])[0];
}
