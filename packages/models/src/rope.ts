import { ops, type Value } from '@codistill/graph';
import type { ComputeDtype, RopeConfig } from './config.js';

/** RoPE inverse frequencies (float32, as transformers computes them), with Llama 3.1 scaling. */
export function inverseFrequencies(rope: RopeConfig, headDim: number): Float32Array {
  const inv = Float32Array.from({ length: headDim / 2 }, (_, i) => 1 / rope.theta ** ((2 * i) / headDim));
  const s = rope.llama3;
  if (!s) return inv;
  const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositions / s.highFreqFactor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f; // high frequencies are kept
    if (wavelen > lowWavelen) return f / s.factor; // low frequencies are stretched
    const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return (1 - smooth) * (f / s.factor) + smooth * f;
  });
}

export interface RopeTables {
  /** Each token's row of the caches, int64 [batch, seq]. */
  positionIds: Value;
  /** cos and sin of position * frequency for each token, [batch x seq, headDim / 2]. */
  cosCache: Value;
  sinCache: Value;
}

/**
 * The rotation caches for integer `positions` [batch, seq] (int32): a row per token rather than per
 * position, so a decoding step computes its own rows only, not a row for every earlier position,
 * and every id is in range whatever the positions are (ONNX Runtime checks).
 */
export function ropeTables(positions: Value, invFreq: Float32Array, dtype: ComputeDtype): RopeTables {
  const g = positions.graph;
  const flat = ops.reshape(positions, [-1]);
  const angles = ops.mul(ops.unsqueeze(ops.cast(flat, 'float32'), [-1]), g.constant(invFreq, 'float32', [invFreq.length], 'inv_freq'));
  const rows = ops.reshape(ops.arange(ops.shapeOf(flat), 'int32'), ops.shapeOf(positions));
  return { positionIds: ops.cast(rows, 'int64'), cosCache: ops.cast(ops.cos(angles), dtype), sinCache: ops.cast(ops.sin(angles), dtype) };
}

/**
 * x * cos + rotate_half(x) * sin over the last axis (transformers' RoPE) for x [batch, heads, seq,
 * headDim]: one RotaryEmbedding kernel, forward and backward, where the composed form took six
 * elementwise passes each way.
 */
export const applyRope = (x: Value, t: RopeTables): Value => ops.rotaryEmbedding(x, t.positionIds, t.cosCache, t.sinCache);
