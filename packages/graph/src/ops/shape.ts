import type { Value } from '../builder.js';
import type { Dim } from '../ir.js';
import { registerOp } from '../registry.js';
import { required } from './util.js';

/**
 * The runtime shape of `x` (dims start..end) as int64; it remembers the symbolic dims too. Dims
 * known at build time are a constant, and values whose dims are the same symbols share one Shape
 * node (symbols name dims that are equal at run time), so the reshapes of every linear layer, and
 * the gradients of reshapes, read one shape instead of each making its own (ONNX Runtime merges the
 * equal Concats that read it). On a GPU provider those are CPU nodes fewer, and fewer device-host copies.
 */
export function shapeOf(x: Value, start?: number, end?: number): Value {
  const dims = shapeSlice(x.shape, start, end);
  if (dims.every((d) => typeof d === 'number')) return x.graph.int64s(dims as number[]);
  const attrs: Record<string, number> = {};
  if (start !== undefined) attrs.start = start;
  if (end !== undefined) attrs.end = end;
  return x.graph.sharedValue(`Shape:${JSON.stringify(dims)}`, () => x.graph.op('Shape', [x], attrs)[0]);
}

/** The dims Shape's `start` and `end` pick: negative counts from the end, both clamped to the rank. */
function shapeSlice(shape: Dim[], start = 0, end = shape.length): Dim[] {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + shape.length : v, 0), shape.length);
  return shape.slice(clamp(start), clamp(end));
}

registerOp({
  op: 'Shape',
  attrs: { start: 'int', end: 'int' },
  infer: (ctx) => {
    const [x] = required(ctx, 1);
    const dims = shapeSlice(x.shape, ctx.attr('start', 0), ctx.attr('end', x.shape.length));
    ctx.setShapeValue(0, dims);
    return [{ dtype: 'int64', shape: [dims.length] }];
  },
});

export const size = (x: Value): Value => x.graph.op('Size', [x])[0];

registerOp({ op: 'Size', infer: () => [{ dtype: 'int64', shape: [] }] });
