import type { Value } from '../builder.js';
import { dtypeFromOnnx, isFloat, ONNX_DTYPE, type DType } from '../dtype.js';
import { registerOp } from '../registry.js';
import { required } from './util.js';

export const cast = (x: Value, to: DType): Value => (x.dtype === to ? x : x.graph.op('Cast', [x], { to: ONNX_DTYPE[to] })[0]);

registerOp({
  op: 'Cast',
  attrs: { to: 'int', saturate: 'int' },
  infer: (ctx) => {
    const [x] = required(ctx, 1);
    const to = dtypeFromOnnx(ctx.attr<number>('to'));
    // Shape values stay shape values in any integer type (e.g. int32 for a Range WebGPU runs).
    const hint = ctx.shapeValue(0);
    if (hint && !isFloat(to) && to !== 'bool') ctx.setShapeValue(0, hint);
    return [{ dtype: to, shape: [...x.shape] }];
  },
  // Gradient flows between float types only; casts to integers or bool stop it.
  vjp: ({ inputs: [x], grads: [g] }) => [isFloat(x!.dtype) && isFloat(g!.dtype) ? cast(g!, x!.dtype) : undefined],
});
