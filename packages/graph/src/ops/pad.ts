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
    const shape = [...x.shape];
    axes.forEach((a, i) => {
      const d = x.shape[a];
      shape[a] = pads && typeof d === 'number' ? d + pads[i] + pads[i + axes.length] : freshDim(ctx, `pad${i}`);
    });
    return [{ dtype: x.dtype, shape }];
  },
});
