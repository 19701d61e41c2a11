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
  /** The tokens' positions, int64 [batch, seq]: rows of the caches. */
  positionIds: Value;
  /** cos and sin of position * frequency for positions 0 .. length - 1, each [length, headDim / 2]. */
  cosCache: Value;
  sinCache: Value;
}

/** The rotation caches for integer `positions` [batch, seq] below `length` (int64 [1]; ONNX Runtime checks the bound). */
export function ropeTables(positions: Value, length: Value, invFreq: Float32Array, dtype: ComputeDtype): RopeTables {
  const g = positions.graph;
  const angles = ops.mul(ops.unsqueeze(ops.cast(ops.arange(length, 'int32'), 'float32'), [-1]), g.constant(invFreq, 'float32', [invFreq.length], 'inv_freq'));
  return { positionIds: ops.cast(positions, 'int64'), cosCache: ops.cast(ops.cos(angles), dtype), sinCache: ops.cast(ops.sin(angles), dtype) };
}

/**
 * x * cos + rotate_half(x) * sin over the last axis (transformers' RoPE) for x [batch, heads, seq,
 * headDim]: one RotaryEmbedding kernel, forward and backward, where the composed form took six
 * elementwise passes each way.
 */
export const applyRope = (x: Value, t: RopeTables): Value => ops.rotaryEmbedding(x, t.positionIds, t.cosCache, t.sinCache);
