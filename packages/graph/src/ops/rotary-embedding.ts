import type { Value } from '../builder.js';
import { GraphError } from '../graph-error.js';
import { registerOp } from '../registry.js';
import { neg } from './neg.js';
import { required } from './util.js';

/**
 * Rotary position embedding (ONNX Runtime's com.microsoft RotaryEmbedding, one kernel on the CPU,
 * CUDA and WebGPU): x [batch, heads, seq, headDim] rotated by the angles of `positionIds` (int64
 * [batch, seq]), whose cos and sin are rows of `cosCache` / `sinCache` [positions, headDim / 2].
 * Not interleaved (the default), it is transformers' x * cos + rotate_half(x) * sin; interleaved,
 * it rotates pairs of neighbouring elements.
 */
export function rotaryEmbedding(x: Value, positionIds: Value, cosCache: Value, sinCache: Value, interleaved: 0 | 1 = 0): Value {
  return x.graph.op('RotaryEmbedding', [x, positionIds, cosCache, sinCache], { interleaved })[0];
}

registerOp({
  op: 'RotaryEmbedding',
  domain: 'com.microsoft',
  attrs: { interleaved: 'int', num_heads: 'int', rotary_embedding_dim: 'int', scale: 'float', is_packed_batching: 'int' },
  infer: (ctx) => {
    const [x, ids, cos, sin] = required(ctx, 4);
    if (x.shape.length !== 4) ctx.fail(`x must be [batch, heads, seq, headDim], is rank ${x.shape.length}`);
    if (ids.dtype !== 'int64' || ids.shape.length !== 2) ctx.fail('position ids must be int64 [batch, seq]');
    if (cos.dtype !== x.dtype || sin.dtype !== x.dtype) ctx.fail("the cos and sin caches must have x's dtype");
    const half = typeof x.shape[3] === 'number' ? x.shape[3] / 2 : undefined;
    for (const c of [cos, sin]) if (c.shape.length !== 2 || (half !== undefined && typeof c.shape[1] === 'number' && c.shape[1] !== half)) ctx.fail(`the caches must be [positions, ${half ?? 'headDim / 2'}]`);
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  // A rotation's transpose is the rotation by minus the angle: the same op with sin negated (each
  // angle rotates one pair of elements, in either layout).
  vjp: ({ node, inputs: [, ids, cos, sin], grads: [g], needs, attr }) => {
    if (needs[2] || needs[3]) throw new GraphError(`${node.name}: no gradient for RotaryEmbedding's cos/sin caches`);
    return [rotaryEmbedding(g!, ids!, cos!, neg(sin!), attr<0 | 1>('interleaved', 0))];
  },
});
