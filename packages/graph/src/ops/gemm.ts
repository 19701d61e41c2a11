import type { Value } from '../builder.js';
import type { Shape } from '../ir.js';
import { registerOp } from '../registry.js';
import { fmtShape } from '../shape.js';
import { unbroadcast } from './expand.js';
import { mul } from './mul.js';
import { broadcast, required, sameDtype } from './util.js';

export interface GemmOptions {
  alpha?: number;
  beta?: number;
  transA?: 0 | 1;
  transB?: 0 | 1;
}

/** alpha * op(A) @ op(B) + beta * C for 2-D A and B. */
export function gemm(a: Value, b: Value, opts: GemmOptions = {}, c?: Value): Value {
  const attrs: Record<string, number> = {};
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) attrs[k] = v;
  return a.graph.op('Gemm', [a, b, c], attrs)[0];
}

/** Whether a broadcast result is larger than `shape` in a fixed dim. */
const widens = (out: Shape, shape: Shape): boolean => out.some((d, i) => typeof shape[i] === 'number' && d !== shape[i]);

registerOp({
  op: 'Gemm',
  attrs: { alpha: 'float', beta: 'float', transA: 'int', transB: 'int' },
  infer: (ctx) => {
    const [a, b] = required(ctx, 2);
    const dtype = sameDtype(ctx, [a, b]);
    if (a.shape.length !== 2 || b.shape.length !== 2) ctx.fail('A and B must be 2-D');
    const [m, ka] = ctx.attr('transA', 0) ? [a.shape[1], a.shape[0]] : a.shape;
    const [kb, n] = ctx.attr('transB', 0) ? [b.shape[1], b.shape[0]] : b.shape;
    if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) ctx.fail(`contraction dims differ: ${ka} vs ${kb}`);
    const c = ctx.inputs[2];
    // C is broadcast to [M, N] one way only: it may not widen the product.
    if (c && (c.shape.length > 2 || widens(broadcast(ctx, [[m, n], c.shape]), [m, n]))) ctx.fail(`C ${fmtShape(c.shape)} does not broadcast to the product's ${fmtShape([m, n])}`);
    return [{ dtype, shape: [m, n] }];
  },
  // Each case is the matrix calculus of Y = op(A) op(B), written as one Gemm.
  vjp: ({ inputs: [a, b, c], grads: [g], needs, attr }) => {
    const alpha = attr<number>('alpha', 1);
    const beta = attr<number>('beta', 1);
    const tA = attr<number>('transA', 0);
    const tB = attr<number>('transB', 0);
    let da: Value | undefined;
    let db: Value | undefined;
    if (needs[0]) {
      da = tA
        ? gemm(b!, g!, { alpha, transA: tB ? 1 : 0, transB: 1 })
        : gemm(g!, b!, { alpha, transB: tB ? 0 : 1 });
    }
    if (needs[1]) {
      db = tB
        ? gemm(g!, a!, { alpha, transA: 1, transB: tA ? 1 : 0 })
        : gemm(a!, g!, { alpha, transA: tA ? 0 : 1 });
    }
    const dc = needs[2] ? unbroadcast(beta === 1 ? g! : mul(g!, beta), c!) : undefined;
    return [da, db, dc];
  },
});
