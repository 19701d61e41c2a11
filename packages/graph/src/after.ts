// Ordering without control edges: ONNX has none, and ONNX Runtime runs a node once its inputs
// exist, in an order of its choosing. `after(x, v)` is x, but only once v exists, so work on x
// cannot start early (a recomputed layer during the forward pass, the next chunk of logits while
// the last one is alive) and is never merged with an identical computation elsewhere.
import type { Value } from './builder.js';
import { add } from './ops/add.js';
import { cast } from './ops/cast.js';
import { mul } from './ops/mul.js';
import { reduceSum } from './ops/reduce-sum.js';
import { reshape } from './ops/reshape.js';
import { slice } from './ops/slice.js';

/**
 * A float32 zero computed from `v`'s first element: it exists only once `v` does. Through int32
 * (times 0 there), so it is 0 even when v holds NaN or infinity, and no gradient flows back into v.
 */
export const zeroAfter = (v: Value): Value => cast(mul(reduceSum(cast(slice(reshape(v, [-1]), [0], [1]), 'int32'), undefined, false), 0), 'float32');

/** `x + 0`, where the zero comes from `zero` (see zeroAfter): exact for every finite x. */
export const after = (x: Value, zero: Value): Value => add(x, cast(zero, x.dtype));
