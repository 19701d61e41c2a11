import type { Value } from '../builder.js';
import type { Dim } from '../ir.js';
import { GraphError } from '../graph-error.js';
import { registerOp } from '../registry.js';
import { add } from './add.js';
import { concat } from './concat.js';
import { pad } from './pad.js';
import { shapeOf } from './shape.js';
import { sub } from './sub.js';
import { constInts, freshDim, normAxes, range, required } from './util.js';

/** Past-the-end marker for "to the end of the axis". */
export const END = 2 ** 31 - 1;

export function slice(x: Value, starts: number[], ends: number[], axes?: number[], steps?: number[]): Value {
  const g = x.graph;
  return g.op('Slice', [x, g.int64s(starts), g.int64s(ends), axes && g.int64s(axes), steps && g.int64s(steps)])[0];
}

/** Python slice semantics for a known dim size: [start, end) after clamping, and the count. */
function resolve(start: number, end: number, step: number, dim: number): [number, number, number] {
  const norm = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + dim : v, lo), hi);
  const s = step > 0 ? norm(start, 0, dim) : norm(start, -1, dim - 1);
  const e = step > 0 ? norm(end, 0, dim) : norm(end, -1, dim - 1);
  return [s, e, Math.max(0, Math.ceil((e - s) / step))];
}

/** A Slice node's constant inputs, through `read` (undefined where omitted); axes and steps default as in ONNX. */
function sliceParams(read: (i: number, what: string) => number[] | undefined, fail: (m: string) => never) {
  const starts = read(1, 'starts')!;
  const ends = read(2, 'ends')!;
  const axes = read(3, 'axes') ?? range(starts.length);
  const steps = read(4, 'steps') ?? starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    fail(`starts [${starts.join(', ')}], ends [${ends.join(', ')}], axes [${axes.join(', ')}] and steps [${steps.join(', ')}] differ in length`);
  }
  if (steps.includes(0)) fail(`step 0 in [${steps.join(', ')}]`);
  return { starts, ends, axes, steps };
}

registerOp({
  op: 'Slice',
  infer: (ctx) => {
    const [x] = required(ctx, 3);
    const read = (i: number, what: string) => (ctx.inputs[i] ? constInts(ctx, i, what) : undefined);
    const p = sliceParams(read, ctx.fail);
    const axes = normAxes(ctx, p.axes, x.shape.length);
    const shape = [...x.shape];
    // A shape vector's slice holds the sliced dims; any other int64 vector's, its sliced elements.
    const hint = ctx.shapeValue(0);
    const held = ctx.elements(0);
    let sliced: Dim[] | undefined = held && [...held];
    axes.forEach((a, i) => {
      const d = x.shape[a];
      if (typeof d === 'number') {
        const [s, e, n] = resolve(p.starts[i], p.ends[i], p.steps[i], d);
        shape[a] = n;
        if (sliced) sliced = p.steps[i] === 1 ? sliced.slice(s, e) : undefined;
      } else {
        shape[a] = p.starts[i] === 0 && p.ends[i] >= END && p.steps[i] === 1 ? d : freshDim(ctx, `slice${i}`);
      }
    });
    if (sliced && hint) ctx.setShapeValue(0, sliced);
    else if (sliced) ctx.setElements(0, sliced);
    return [{ dtype: x.dtype, shape }];
  },
  // The gradient is the output gradient padded with zeros back to the input's extent.
  vjp: (ctx) => {
    const { node, inputs: [x], grads: [g] } = ctx;
    const gr = x!.graph;
    const read = (i: number) => (ctx.inputs[i] ? ctx.constInts(i) : undefined);
    const p = sliceParams(read, (m) => {
      throw new GraphError(`${node.name}: ${m}`);
    });
    if (p.steps.some((s) => s !== 1)) throw new GraphError(`${node.name}: Slice gradient supports step 1 only`);
    const axes = p.axes.map((a) => (a < 0 ? a + x!.rank : a));
    const before: (number | Value)[] = [];
    const after: (number | Value)[] = [];
    axes.forEach((a, i) => {
      const d = x!.shape[a];
      if (typeof d === 'number') {
        const [s, e] = resolve(p.starts[i], p.ends[i], 1, d);
        before.push(s);
        after.push(d - Math.max(s, e));
        return;
      }
      const dim = () => shapeOf(x!, a, a + 1);
      before.push(p.starts[i] >= 0 ? p.starts[i] : add(dim(), gr.int64s([p.starts[i]])));
      after.push(p.ends[i] >= END ? 0 : p.ends[i] < 0 ? -p.ends[i] : sub(dim(), gr.int64s([p.ends[i]])));
    });
    const all = [...before, ...after];
    const pads = all.every((v) => typeof v === 'number')
      ? gr.int64s(all as number[])
      : concat(all.map((v) => (typeof v === 'number' ? gr.int64s([v]) : v)), 0);
    return [pad(g!, pads, axes)];
  },
});
