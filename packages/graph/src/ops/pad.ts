import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { constInts, freshDim, normAxes, range, required } from './util.js';

/** Constant (zero) padding; `pads` is [begin per axis..., end per axis...] for `axes`. */
export const pad = (x: Value, pads: Value, axes?: number[]): Value =>
  x.graph.op('Pad', [x, pads, undefined, axes && x.graph.int64s(axes)], { mode: 'constant' })[0];

registerOp({
  op: 'Pad',
  attrs: { mode: 'string' },
  infer: (ctx) => {
    const [x] = required(ctx, 2);
    const r = x.shape.length;
    const axes = ctx.inputs[3] ? normAxes(ctx, constInts(ctx, 3, 'axes'), r) : range(r);
    const pads = ctx.constant(1) ? constInts(ctx, 1, 'pads') : undefined;
    if (pads && pads.length !== 2 * axes.length) ctx.fail(`${pads.length} pads [${pads.join(', ')}] for ${axes.length} axes: one begin and one end per axis`);
    const shape = [...x.shape];
    axes.forEach((a, i) => {
      const d = x.shape[a];
      if (!pads || typeof d !== 'number') {
        shape[a] = freshDim(ctx, `pad${i}`);
        return;
      }
      const n = d + pads[i] + pads[i + axes.length];
      if (n < 0) ctx.fail(`pads [${pads.join(', ')}] cut axis ${a} of size ${d} below 0`);
      shape[a] = n;
    });
    return [{ dtype: x.dtype, shape }];
  },
});
