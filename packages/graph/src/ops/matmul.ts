import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { gemm } from './gemm.js';
import { unbroadcast } from './expand.js';
import { reshape, reshapeLike } from './reshape.js';
import { squeeze } from './squeeze.js';
import { transpose } from './transpose.js';
import { unsqueeze } from './unsqueeze.js';
import { broadcast, range, required, sameDtype } from './util.js';

export const matmul = (a: Value, b: Value): Value => a.graph.op('MatMul', [a, b])[0];

/** Swap the last two axes. */
const mT = (x: Value): Value => transpose(x, [...range(x.rank - 2), x.rank - 1, x.rank - 2]);

/** Gradients of a @ b for operands of rank >= 2, batched and broadcast. */
function matrixVjp(a: Value, b: Value, g: Value, needs: boolean[]): (Value | undefined)[] {
  const k = a.shape[a.rank - 1];
  const n = g.shape[g.rank - 1];
  const sharedWeight = b.rank === 2 && typeof k === 'number' && typeof n === 'number';
  let da: Value | undefined;
  if (needs[0] && sharedWeight) {
    // Gemm's transB reads B transposed in place; an explicit Transpose would copy B every step.
    da = reshapeLike(gemm(reshape(g, [-1, n]), b, { transB: 1 }), a);
  } else if (needs[0]) {
    da = unbroadcast(matmul(g, mT(b)), a);
  }
  let db: Value | undefined;
  if (needs[1] && sharedWeight && a.rank > 2) {
    // A weight shared across the batch: one [K, rows] x [rows, N] product instead of a batched one and a sum.
    db = gemm(reshape(a, [-1, k]), reshape(g, [-1, n]), { transA: 1 });
  } else if (needs[1]) {
    db = unbroadcast(matmul(mT(a), g), b);
  }
  return [da, db];
}

registerOp({
  op: 'MatMul',
  infer: (ctx) => {
    const [a, b] = required(ctx, 2);
    const dtype = sameDtype(ctx, [a, b]);
    if (a.shape.length < 1 || b.shape.length < 1) ctx.fail('operands must have rank >= 1');
    const as = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
    const bs = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
    const k1 = as[as.length - 1];
    const k2 = bs[bs.length - 2];
    if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) ctx.fail(`contraction dims differ: ${k1} vs ${k2}`);
    const batch = broadcast(ctx, [as.slice(0, -2), bs.slice(0, -2)]);
    const shape = [...batch];
    if (a.shape.length > 1) shape.push(as[as.length - 2]);
    if (b.shape.length > 1) shape.push(bs[bs.length - 1]);
    return [{ dtype, shape }];
  },
  // A 1-D operand is promoted as numpy's matmul promotes it ([k] to [1, k] on the left, to [k, 1]
  // on the right, the gradient given back the dim the product dropped), and its gradient squeezed.
  vjp: ({ inputs: [a, b], grads: [g], needs }) => {
    if (a!.rank > 1 && b!.rank > 1) return matrixVjp(a!, b!, g!, needs);
    const a2 = a!.rank === 1 ? unsqueeze(a!, [0]) : a!;
    const b2 = b!.rank === 1 ? unsqueeze(b!, [1]) : b!;
    let g2 = b!.rank === 1 ? unsqueeze(g!, [g!.rank]) : g!;
    if (a!.rank === 1) g2 = unsqueeze(g2, [g2.rank - 1]);
    const [da, db] = matrixVjp(a2, b2, g2, needs);
    return [da && a!.rank === 1 ? squeeze(da, [0]) : da, db && b!.rank === 1 ? squeeze(db, [1]) : db];
  },
});
