// Dropout whose mask is a hash of (seed, stream, element index) computed in the graph, instead of
// ONNX's Dropout op. Three reasons: ONNX Runtime's optimiser deletes a Dropout whose mask output
// is unused even in training mode (so a LoRA module whose input needs no gradient lost its
// dropout); ONNX's op draws from a generator seeded once per session, so a resumed run or a
// recomputed layer (gradient checkpointing) would draw other masks; and WebGPU has no Dropout or
// random kernel. A hash is stateless: the same seed gives the same mask on every provider, in the
// forward pass and in its recomputation, with only int32 Mul/Add/Div/GreaterOrEqual, which every
// provider runs.
import type { Value } from './builder.js';
import { add } from './ops/add.js';
import { cast } from './ops/cast.js';
import { greaterOrEqual } from './ops/compare.js';
import { div } from './ops/div.js';
import { gather } from './ops/gather.js';
import { mul } from './ops/mul.js';
import { arange } from './ops/range.js';
import { reshape } from './ops/reshape.js';
import { shapeOf } from './ops/shape.js';
import { unsqueeze } from './ops/unsqueeze.js';
import { where } from './ops/where.js';
import { hostTensor, type HostTensor } from './runner.js';
import { GraphError } from './graph-error.js';

/** The int32 scalar graph input a training step feeds its dropout seed through (see dropoutSeed). */
export const DROPOUT_SEED = 'dropout_seed';
/** The bool scalar graph input that turns dropout off (false: validation passes through the training graph). */
export const DROPOUT_ON = 'dropout_on';

/** What dropout reads at run time: the seed, and optionally whether it applies at all. */
export interface DropoutControl {
  seed: Value;
  on?: Value;
}

// Integer products wrap modulo 2^32 on every provider. There is no xor or shift that every
// provider runs for int32, so the mixing uses what they all have: a right shift is a truncating
// division (its rounding differs from a shift, identically everywhere), and the non-linearity
// that xor gives a classic hash comes from squaring, h * (2h + 1) (a permutation of the 32-bit
// integers). Three multiply / add-shift rounds without it left masks measurably correlated
// between neighbouring elements; with two squarings no correlation shows (test/dropout.test.ts).
const M = [0x7feb352d, 0x846ca68b | 0, 0x9e3779b1 | 0] as const;

const shiftAdd = (h: Value, bits: number): Value => add(h, div(h, 2 ** bits));
const square = (h: Value): Value => mul(h, add(mul(h, 2), 1));
/** A multiply / add-shift round (for scalars: seed and stream into a key). */
const mixValue = (h: Value, m: number): Value => shiftAdd(mul(shiftAdd(h, 16), m), 15);
/** The per-element hash of `index` under `key` (`odd`: 2 key + 1). */
const hashValue = (index: Value, key: Value, odd: Value): Value =>
  shiftAdd(square(mul(shiftAdd(square(add(mul(index, M[2]), key)), 16), odd)), 16);

// The same on the host, bit for bit: Math.imul wraps like int32 Mul, `| 0` after / truncates like int32 Div.
const shiftAdd32 = (h: number, bits: number): number => (h + ((h / 2 ** bits) | 0)) | 0;
const square32 = (h: number): number => Math.imul(h, (Math.imul(h, 2) + 1) | 0);
const mix32 = (h: number, m: number): number => shiftAdd32(Math.imul(shiftAdd32(h, 16), m), 15);
const hash32 = (index: number, key: number, odd: number): number =>
  shiftAdd32(square32(Math.imul(shiftAdd32(square32((Math.imul(index, M[2]) + key) | 0), 16), odd)), 16);

/**
 * Each hash decides two elements, one with each 16-bit half (the first half of the elements by
 * the high halves, the rest by the low ones): half the hashing, which is most of dropout's time. A
 * half keeps its element when, as an int32 with the half in the top 16 bits, it is at least this:
 * the ratio-quantile of int16, the ratio rounded to a multiple of 2^-16 (at most 1 - 2^-16).
 */
export const keepThreshold = (ratio: number): number => (Math.min(Math.round(ratio * 2 ** 16), 2 ** 16 - 1) - 2 ** 15) * 2 ** 16;

/** The dropout inputs of `x`'s graph (DROPOUT_SEED, DROPOUT_ON), created on first use. */
export function dropoutInputs(x: Value): Required<DropoutControl> {
  const g = x.graph;
  const input = (name: string, dtype: 'int32' | 'bool') => (g.has(name) ? g.value(name) : g.input(name, dtype, []));
  return { seed: input(DROPOUT_SEED, 'int32'), on: input(DROPOUT_ON, 'bool') };
}

/**
 * Keep-mask (bool, x's shape) of dropout with `ratio` for `stream` (one per dropout site, e.g. per
 * LoRA module) under the int32 `seed`. The key enters additively before the first squaring and as
 * an odd multiplier after it, so two streams' masks are not shifted copies of each other.
 */
export function dropoutMask(x: Value, ratio: number, control: DropoutControl, stream: number): Value {
  const key = mixValue(add(mixValue(control.seed, M[0]), stream), M[1]);
  const g = x.graph;
  // The element count as the shape of x flattened: WebGPU has no Size kernel, and a Size on the
  // CPU would copy x to the host; a Shape reads only x's dims.
  const count = shapeOf(reshape(x, [-1]));
  const h = hashValue(arange(div(add(count, 1), 2), 'int32'), key, add(mul(key, 2), 1));
  const keep = g.scalar(keepThreshold(ratio), 'int32');
  // Off, the threshold is int32's least value: every element is kept, at no cost per element.
  const limit = control.on ? where(control.on, keep, g.scalar(-(2 ** 31), 'int32')) : keep;
  // [2, half]: the hashes, and below them their low halves moved to the top, which decide the
  // elements after the high halves' (one broadcast Mul, no Concat). An odd count leaves the last
  // low half unused; a static even dim rules that out, and the Gather (a copy) with it. (A Gather,
  // not a Slice: WebGPU has no int32 Slice.)
  const halves = reshape(mul(unsqueeze(h, [0]), g.constant([1, 2 ** 16], 'int32', [2, 1], 'dropout_halves')), [-1]);
  const even = x.shape.some((d) => typeof d === 'number' && d % 2 === 0);
  return reshape(greaterOrEqual(even ? halves : gather(halves, arange(count, 'int32'), 0), limit), shapeOf(x));
}

/** The keep-mask dropoutMask computes, on the host (tests and tools compare against it). */
export function dropoutMaskOnHost(count: number, ratio: number, seed: number, stream: number): Uint8Array {
  const key = mix32((mix32(seed, M[0]) + stream) | 0, M[1]);
  const odd = (Math.imul(key, 2) + 1) | 0;
  const limit = keepThreshold(ratio);
  const half = Math.ceil(count / 2);
  const keep = new Uint8Array(count);
  for (let i = 0; i < half; i++) {
    const h = hash32(i, key, odd);
    keep[i] = h >= limit ? 1 : 0;
    if (i + half < count) keep[i + half] = Math.imul(h, 2 ** 16) >= limit ? 1 : 0;
  }
  return keep;
}

/**
 * Training-mode dropout with PyTorch's semantics: each element is zeroed with probability `ratio`
 * and the kept ones scaled by 1 / (1 - ratio). The gradient flows through the same mask. With
 * `control.on` false it is the identity (exactly: nothing dropped, scale 1).
 */
export function dropout(x: Value, ratio: number, control: DropoutControl, stream: number): Value {
  const { seed, on } = control;
  if (!(ratio >= 0 && ratio < 1)) throw new GraphError(`dropout: ratio must be in [0, 1), got ${ratio}`);
  if (seed.dtype !== 'int32' || seed.rank !== 0) throw new GraphError(`dropout: seed '${seed.name}' must be an int32 scalar, is ${seed}`);
  if (on && (on.dtype !== 'bool' || on.rank !== 0)) throw new GraphError(`dropout: on '${on.name}' must be a bool scalar, is ${on}`);
  if (ratio === 0) return x;
  const scale = on ? where(on, x.graph.scalar(1 / (1 - ratio), x.dtype), x.graph.scalar(1, x.dtype)) : 1 / (1 - ratio);
  // x times a factor tensor (scale where kept, 0 where dropped), not a Where: the product and its
  // gradient each read the factor with a Mul, which ONNX Runtime's CPU kernel runs several times
  // faster than a Where (0.08 vs 0.7 ms on [4, 256, 512], AMD EPYC). The kept values are the same
  // bits; a dropped one is x * 0 (-0 where x < 0), as in PyTorch, whose dropout multiplies by the mask too.
  return mul(x, mul(cast(dropoutMask(x, ratio, control, stream), x.dtype), scale));
}

/** The seed a training step feeds for its `microStep`-th forward pass of a run seeded with `runSeed`. */
export const dropoutSeed = (runSeed: number, microStep: number): number => (Math.imul(runSeed, M[2]) + microStep) | 0;

/** Feeds for dropoutInputs: the seed, and whether dropout applies (false for validation passes). */
export const dropoutFeeds = (seed: number, on = true): Record<string, HostTensor> => ({
  [DROPOUT_SEED]: hostTensor('int32', [], [seed]),
  [DROPOUT_ON]: hostTensor('bool', [], [on ? 1 : 0]),
});
