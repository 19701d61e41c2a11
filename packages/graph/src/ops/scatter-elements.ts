import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import type { Reduction } from './scatter-nd.js';
import { required } from './util.js';

export const scatterElements = (data: Value, indices: Value, updates: Value, axis: number, reduction: Reduction = 'none'): Value =>
  data.graph.op('ScatterElements', [data, indices, updates], { axis, reduction })[0];

registerOp({
  op: 'ScatterElements',
  attrs: { axis: 'int', reduction: 'string' },
  infer: (ctx) => {
    const [x] = required(ctx, 3);
    return [{ dtype: x.dtype, shape: [...x.shape] }];
  },
});
