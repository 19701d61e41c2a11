import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { required } from './util.js';

export type Reduction = 'none' | 'add' | 'mul' | 'max' | 'min';

export const scatterND = (data: Value, indices: Value, updates: Value, reduction: Reduction = 'none'): Value =>
  data.graph.op('ScatterND', [data, indices, updates], { reduction })[0];

registerOp({
  op: 'ScatterND',
  attrs: { reduction: 'string' },
  infer: (ctx) => {
    const [x] = required(ctx, 3);
    return [{ dtype: x.dtype, shape: [...x.shape] }];
  },
});
