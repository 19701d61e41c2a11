import type { Value } from '../builder.js';
import { allocate, float32ToHalf, isHalf, type DType } from '../dtype.js';
import type { TensorInit } from '../ir.js';
import { registerOp } from '../registry.js';
import { expand } from './expand.js';
import { shapeOf } from './shape.js';
import { freshDim, required } from './util.js';

function fillValue(dtype: DType, v: number): TensorInit {
  let data = allocate(dtype, 1);
  if (isHalf(dtype)) data = float32ToHalf(dtype, [v]);
  else if (dtype === 'int64') (data as BigInt64Array)[0] = BigInt(v);
  else (data as Float32Array)[0] = v;
  return { name: 'value', dtype, dims: [1], data };
}

/** A tensor of the runtime shape `shape` (1-D int64) filled with `value`. */
export const constantOfShape = (shape: Value, value: number, dtype: DType): Value =>
  shape.graph.op('ConstantOfShape', [shape], { value: fillValue(dtype, value) })[0];

// A scalar expanded rather than ConstantOfShape: WebGPU has no ConstantOfShape kernel, so ONNX
// Runtime would fill the tensor on the CPU and copy it to the device on every run.
const fillLike = (x: Value, v: number, dtype: DType): Value => expand(x.graph.scalar(v, dtype), shapeOf(x));
/** Zeros of x's shape, in x's dtype or `dtype`. */
export const zerosLike = (x: Value, dtype: DType = x.dtype): Value => fillLike(x, 0, dtype);
export const onesLike = (x: Value): Value => fillLike(x, 1, x.dtype);

registerOp({
  op: 'ConstantOfShape',
  attrs: { value: 'tensor' },
  infer: (ctx) => {
    const [s] = required(ctx, 1);
    const value = ctx.attr<TensorInit>('value', fillValue('float32', 0));
    const dims = ctx.shapeValue(0);
    if (dims) return [{ dtype: value.dtype, shape: [...dims] }];
    const n = s.shape[0];
    if (typeof n !== 'number') return ctx.fail('shape input has unknown length');
    return [{ dtype: value.dtype, shape: Array.from({ length: n }, (_, i) => freshDim(ctx, `d${i}`)) }];
  },
});
