import type { Value } from '../builder.js';
import { GraphError } from '../graph-error.js';
import type { Shape } from '../ir.js';
import type { InferCtx } from '../op-def.js';
import { registerOp } from '../registry.js';
import { shapeOf } from './shape.js';
import { normAxes, sameDtype, sumDims } from './util.js';

/**
 * Most inputs one Concat node takes. A WebGPU shader binds at most 16 storage buffers, and the
 * Concat's gradient is a Split with one output per input: wider concatenations are built as a tree.
 */
const MAX_CONCAT_INPUTS = 8;

export function concat(values: Value[], axis: number): Value {
  if (!values.length) throw new GraphError(`concat: no values to concatenate (axis ${axis})`);
  if (values.length <= MAX_CONCAT_INPUTS) return values[0].graph.op('Concat', values, { axis })[0];
  const groups = Array.from({ length: Math.ceil(values.length / MAX_CONCAT_INPUTS) }, (_, i) => values.slice(i * MAX_CONCAT_INPUTS, (i + 1) * MAX_CONCAT_INPUTS));
  return concat(groups.map((g) => concat(g, axis)), axis);
}

/**
 * The dims off the axis, which every input must share: a fixed size where any input has one (as a
 * symbol meeting a fixed size in broadcasting), an error where two fixed sizes differ. Symbols are
 * not compared: a fresh one (a Reshape to a runtime shape) may well equal a named one.
 */
function sharedDims(ctx: InferCtx, shapes: Shape[], axis: number): Shape {
  return shapes[0].map((d, i) => {
    if (i === axis) return d;
    const fixed = [...new Set(shapes.map((s) => s[i]).filter((e) => typeof e === 'number'))];
    if (fixed.length > 1) ctx.fail(`inputs differ in dim ${i}, off the concatenation axis ${axis}: ${fixed.join(' vs ')}`);
    return fixed[0] ?? d;
  });
}

registerOp({
  op: 'Concat',
  attrs: { axis: 'int' },
  infer: (ctx) => {
    const ts = ctx.inputs.map((t, i) => t ?? ctx.fail(`input ${i} is required`));
    if (!ts.length) ctx.fail('needs at least one input');
    const dtype = sameDtype(ctx, ts);
    const rank = ts[0].shape.length;
    if (ts.some((t) => t.shape.length !== rank)) ctx.fail(`inputs must share one rank, have ${ts.map((t) => t.shape.length).join(', ')}`);
    const [axis] = normAxes(ctx, [ctx.attr<number>('axis')], rank);
    const shape = sharedDims(ctx, ts.map((t) => t.shape), axis);
    shape[axis] = sumDims(ts.map((t) => t.shape[axis]));
    // Concatenated shape vectors stay known, so a Reshape fed by them keeps its symbols.
    const hints = ts.map((_, i) => ctx.shapeValue(i));
    if (rank === 1 && hints.every((h) => h)) ctx.setShapeValue(0, hints.flat() as (number | string)[]);
    return [{ dtype, shape }];
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
