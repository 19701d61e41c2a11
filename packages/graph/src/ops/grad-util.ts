import type { Value } from '../builder.js';
import { GraphError } from '../shape.js';
import { reduceSum } from './reduce-sum.js';
import { reshape } from './reshape.js';
import { shapeOf } from './shape.js';
import { range } from './util.js';

/**
 * Sum a broadcast gradient back down to the shape of the input it flowed from: reduce the
 * leading axes the input lacked and keep-dim reduce the axes where the input had size 1.
 * Equal symbols never broadcast (see broadcastShapes), so the axes are known at build time.
 */
export function unbroadcast(g: Value, like: Value): Value {
  let out = g;
  const lead = g.rank - like.rank;
  if (lead < 0) throw new GraphError(`gradient '${g.name}' has lower rank than '${like.name}'`);
  if (lead > 0) out = reduceSum(out, range(lead), false);
  const axes = like.shape.flatMap((d, i) => (d === 1 && out.shape[i] !== 1 ? [i] : []));
  if (axes.length) out = reduceSum(out, axes, true);
  return out;
}

/** Reshape `g` back to `like`'s runtime shape (for ops that only rearrange elements). */
export const reshapeLike = (g: Value, like: Value): Value => reshape(g, shapeOf(like));
