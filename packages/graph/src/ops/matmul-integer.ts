import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';

/**
 * (a - aZero) @ (b - bZero) for 8-bit a [M, K] and b [K, N], summed exactly in int32 (ONNX
 * MatMulInteger). Zero points are scalars here: the per-row and per-column forms are optional in
 * ONNX Runtime's kernels.
 */
export const matmulInteger = (a: Value, b: Value, aZero?: Value, bZero?: Value): Value => a.graph.op('MatMulInteger', [a, b, aZero, bZero])[0];

const EIGHT_BIT = ['uint8', 'int8'];

// No VJP: integer products; the quantised layers around it bring their own gradient.
registerOp({
  op: 'MatMulInteger',
  infer: (ctx) => {
    const [a, b, aZero, bZero] = ctx.inputs;
    if (!a || !b) ctx.fail('needs a and b');
    if (!EIGHT_BIT.includes(a!.dtype) || !EIGHT_BIT.includes(b!.dtype)) ctx.fail(`operands must be uint8 or int8, are ${a!.dtype} and ${b!.dtype}`);
    if (a!.shape.length !== 2 || b!.shape.length !== 2) ctx.fail('operands must be 2-D');
    for (const [zero, of] of [[aZero, a], [bZero, b]] as const) {
      if (zero && (zero.dtype !== of!.dtype || zero.shape.length !== 0)) ctx.fail(`a zero point must be a scalar of its operand's dtype (${of!.dtype})`);
    }
    const [k1, k2] = [a!.shape[1], b!.shape[0]];
    if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) ctx.fail(`contraction dims differ: ${k1} vs ${k2}`);
    return [{ dtype: 'int32', shape: [a!.shape[0], b!.shape[1]] }];
  },
});
