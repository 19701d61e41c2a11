import type { Value } from '../builder.js';
import { registerOp } from '../registry.js';
import { cast } from './cast.js';
import { div } from './div.js';
import { mul } from './mul.js';
import { sub } from './sub.js';
import { required } from './util.js';

/**
 * Training-mode dropout. ONNX Runtime seeds the kernel's generator with `seed` when the session is
 * created and draws a new mask on every run, so a run is reproducible from session creation.
 * Returns [output, mask].
 */
export function dropout(x: Value, ratio: number, seed: number): [Value, Value] {
  const g = x.graph;
  const [y, mask] = g.op('Dropout', [x, g.scalar(ratio, x.dtype), g.constant([1], 'bool', [])], { seed }, { outputs: 2 });
  return [y, mask];
}

registerOp({
  op: 'Dropout',
  attrs: { seed: 'int' },
  infer: (ctx) => {
    const [x] = required(ctx, 1);
    return [
      { dtype: x.dtype, shape: [...x.shape] },
      { dtype: 'bool', shape: [...x.shape] },
    ];
  },
  // Kept elements were scaled by 1 / (1 - ratio); dropped ones get no gradient.
  vjp: ({ inputs: [x, ratio], outputs: [, mask], grads: [g] }) => {
    const kept = mul(g!, cast(mask, x!.dtype));
    return [ratio ? div(kept, sub(x!.graph.scalar(1, x!.dtype), ratio)) : mul(kept, 2), undefined, undefined];
  },
});
