import type { Value } from '../builder.js';
import type { Dim, Shape } from '../ir.js';
import type { InferCtx } from '../op-def.js';
import { registerOp } from '../registry.js';
import { shapeOf } from './shape.js';
import { freshDim, required } from './util.js';

/** Reshape to constant dims (0 keeps the input's dim, -1 is inferred) or to a runtime shape tensor. */
export function reshape(x: Value, shape: number[] | Value): Value {
  const s = Array.isArray(shape) ? x.graph.int64s(shape) : shape;
  return x.graph.op('Reshape', [x, s])[0];
}

/**
 * Reshape `g` back to `like`'s shape (for ops that only rearrange elements). A constant target
 * where it can be one: `like`'s static dims, and 0 (keep g's dim) where g has the same symbol in
 * the same place. Else the runtime shape; ONNX Runtime's transpose optimiser turns a Shape of a
 * transposed value into a Gather of int64 dims that it places on the CPU.
 */
export function reshapeLike(g: Value, like: Value): Value {
  const dims = like.shape.map((d, i) => (typeof d === 'number' ? (d > 0 ? d : undefined) : g.shape[i] === d ? 0 : undefined));
  return reshape(g, dims.every((d) => d !== undefined) ? (dims as number[]) : shapeOf(like));
}

/** Split dims into a numeric product and a multiset of symbols. */
function factor(dims: Dim[]): { n: number; syms: string[] } {
  let n = 1;
  const syms: string[] = [];
  for (const d of dims) {
    if (typeof d === 'number') n *= d;
    else syms.push(d);
  }
  return { n, syms };
}

/** The -1 dim: symbols cancel against the input's where they can. */
function inferMinusOne(ctx: InferCtx, input: Shape, known: Dim[]): Dim {
  const num = factor(input);
  const den = factor(known);
  const left = [...num.syms];
  for (const s of den.syms) {
    const i = left.indexOf(s);
    if (i < 0) return freshDim(ctx, 'reshape');
    left.splice(i, 1);
  }
  if (num.n % den.n !== 0) {
    // A symbol left over may hold the missing factor (a fresh dim that merged two dims, say).
    if (left.length) return freshDim(ctx, 'reshape');
    ctx.fail(`cannot reshape: ${num.n} elements do not divide into ${den.n}`);
  }
  const ratio = num.n / den.n;
  if (left.length === 0) return ratio;
  if (left.length === 1 && ratio === 1) return left[0];
  return freshDim(ctx, 'reshape');
}

registerOp({
  op: 'Reshape',
  attrs: { allowzero: 'int' },
  infer: (ctx) => {
    const [x, s] = required(ctx, 2);
    const target = ctx.shapeValue(1);
    if (s.dtype !== 'int64' || s.shape.length !== 1) ctx.fail('the shape input must be a 1-D int64 tensor');
    if (!target) {
      const n = s.shape[0];
      if (typeof n !== 'number') return ctx.fail('shape input has unknown length');
      return [{ dtype: x.dtype, shape: Array.from({ length: n }, (_, i) => freshDim(ctx, `d${i}`)) }];
    }
    if (target.filter((d) => d === -1).length > 1 || target.some((d) => typeof d === 'number' && d < -1)) ctx.fail(`bad target [${target.join(', ')}]: one -1 at most, no other negative dim`);
    const allowZero = ctx.attr<number>('allowzero', 0) === 1;
    const copied = target.findIndex((d, i) => d === 0 && !allowZero && i >= x.shape.length);
    if (copied >= 0) ctx.fail(`target dim ${copied} is 0 (the input's dim ${copied}), but the input has ${x.shape.length} dims`);
    const dims = target.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d));
    const minus = dims.indexOf(-1);
    if (minus >= 0) dims[minus] = inferMinusOne(ctx, x.shape, dims.filter((_, i) => i !== minus));
    // The same symbols on both sides: their numeric parts must agree.
    const [from, to] = [factor(x.shape), factor(dims)];
    if (from.syms.sort().join() === to.syms.sort().join() && from.n !== to.n) ctx.fail(`cannot reshape [${x.shape.join(', ')}] into [${dims.join(', ')}]: the element counts differ`);
    return [{ dtype: x.dtype, shape: dims }];
  },
  vjp: ({ inputs: [x], grads: [g] }) => [reshapeLike(g!, x!), undefined],
});
