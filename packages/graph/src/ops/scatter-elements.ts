import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { fmtShape, mayEqual } from '../shape.js';
import type { Reduction } from './scatter-nd.js';
import { normAxes, scatterInputs } from './util.js';

export const scatterElements = (data: Value, indices: Value, updates: Value, axis: number, reduction: Reduction = 'none'): Value =>
  data.graph.op('ScatterElements', [data, indices, updates], { axis, reduction })[0];

registerOp({
  op: 'ScatterElements',
  attrs: { axis: 'int', reduction: 'string' },
  infer: (ctx) => {
    const [x, idx, upd] = scatterInputs(ctx);
    if (idx.dtype !== 'int64' && idx.dtype !== 'int32') ctx.fail(`indices must be int32 or int64, are ${idx.dtype}`);
    const ranks = [x, idx, upd].map((t) => t.shape.length);
    if (ranks.some((r) => r !== ranks[0])) ctx.fail(`data, indices and updates must share one rank, have ${ranks.join(', ')}`);
    const [axis] = normAxes(ctx, [ctx.attr<number>('axis', 0)], x.shape.length);
    if (!mayEqual(upd.shape, idx.shape)) ctx.fail(`updates ${fmtShape(upd.shape)} must have the indices' shape ${fmtShape(idx.shape)}`);
    // Off the axis, ONNX Runtime refuses indices longer than the data (along it they may repeat).
    const over = idx.shape.findIndex((d, i) => {
      const e = x.shape[i];
      return i !== axis && typeof d === 'number' && typeof e === 'number' && d > e;
    });
    if (over >= 0) ctx.fail(`indices ${fmtShape(idx.shape)} are longer than the data ${fmtShape(x.shape)} in dim ${over}, off the axis ${axis}`);
    return [{ dtype: x.dtype, shape: [...x.shape] }];
  },
});
