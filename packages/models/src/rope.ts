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
  /** cos and sin of position * frequency, each [batch, seq, headDim] (halves repeated). */
  cos: Value;
  sin: Value;
}

/** The rotation tables for integer `positions` [batch, seq]. */
export function ropeTables(positions: Value, invFreq: Float32Array, dtype: ComputeDtype): RopeTables {
  const g = positions.graph;
  const freqs = ops.mul(ops.unsqueeze(ops.cast(positions, 'float32'), [-1]), g.constant(invFreq, 'float32', [invFreq.length], 'inv_freq'));
  const table = (x: Value) => ops.cast(ops.concat([x, x], -1), dtype);
  return { cos: table(ops.cos(freqs)), sin: table(ops.sin(freqs)) };
}

/** x * cos + rotate_half(x) * sin over the last axis; cos/sin broadcast from [batch, 1.., seq, headDim]. */
export function applyRope(x: Value, cos: Value, sin: Value): Value {
  const d = x.shape[x.rank - 1] as number;
  const [first, second] = ops.split(x, [d / 2, d / 2], -1);
  const rotated = ops.concat([ops.neg(second), first], -1);
  return ops.add(ops.mul(x, cos), ops.mul(rotated, sin));
}
