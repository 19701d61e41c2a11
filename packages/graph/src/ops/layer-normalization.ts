import type { Value } from '../builder.js';
import type { Shape } from '../ir.js';
import { registerOp } from '../registry.js';
import { fmtShape } from '../shape.js';
import { add } from './add.js';
import { unbroadcast } from './expand.js';
import { mul } from './mul.js';
import { reciprocal } from './reciprocal.js';
import { reduceMean } from './reduce-mean.js';
import { sqrt } from './sqrt.js';
import { sub } from './sub.js';
import { normAxes, range, required } from './util.js';

/** LayerNorm over the dims from `axis` to the end; `bias` optional. */
export const layerNorm = (x: Value, scale: Value, bias?: Value, epsilon = 1e-5, axis = -1): Value =>
  x.graph.op('LayerNormalization', [x, scale, bias], { axis, epsilon })[0];

/** Whether `s` broadcasts to `dims` one way (no more dims; each fixed one 1 or equal where `dims` is fixed too). */
const fitsTrailing = (s: Shape, dims: Shape): boolean =>
  s.length <= dims.length && s.every((d, i) => {
    const e = dims[dims.length - s.length + i];
    return d === 1 || d === e || typeof d !== 'number' || typeof e !== 'number';
  });

registerOp({
  op: 'LayerNormalization',
  attrs: { axis: 'int', epsilon: 'float', stash_type: 'int' },
  infer: (ctx) => {
    const [x] = required(ctx, 2);
    const r = x.shape.length;
    const [axis] = normAxes(ctx, [ctx.attr<number>('axis', -1)], r);
    const normalized = x.shape.slice(axis);
    for (const [i, what] of [[1, 'scale'], [2, 'bias']] as const) {
      const t = ctx.inputs[i];
      if (t && !fitsTrailing(t.shape, normalized)) ctx.fail(`${what} ${fmtShape(t.shape)} does not fit the normalized dims ${fmtShape(normalized)}`);
    }
    const stats = x.shape.map((d, i) => (i < axis ? d : 1));
    return [
      { dtype: x.dtype, shape: [...x.shape] },
      { dtype: 'float32', shape: stats },
      { dtype: 'float32', shape: stats },
    ];
  },
  // Recomputes the statistics rather than reading the optional Mean/InvStdDev outputs, so the
  // forward node stays exactly as built. With xhat = (x - mean) * rstd and gs = g * scale:
  //   dx = rstd * (gs - mean(gs) - xhat * mean(gs * xhat)),  dscale = sum(g * xhat),  dbias = sum(g)
  vjp: ({ inputs: [x, scale, bias], grads: [g], needs, attr }) => {
    const r = x!.rank;
    const axis = attr<number>('axis', -1) < 0 ? attr<number>('axis', -1) + r : attr<number>('axis', -1);
    const axes = range(r - axis, axis);
    const xc = sub(x!, reduceMean(x!, axes));
    const rstd = reciprocal(sqrt(add(reduceMean(mul(xc, xc), axes), attr<number>('epsilon', 1e-5))));
    const xhat = mul(xc, rstd);
    let dx: Value | undefined;
    if (needs[0]) {
      const gs = mul(g!, scale!);
      dx = mul(rstd, sub(sub(gs, reduceMean(gs, axes)), mul(xhat, reduceMean(mul(gs, xhat), axes))));
    }
    return [
      dx,
      needs[1] ? unbroadcast(mul(g!, xhat), scale!) : undefined,
      needs[2] ? unbroadcast(g!, bias!) : undefined,
    ];
  },
});
