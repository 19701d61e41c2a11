import { GraphError } from './graph-error.js';
import type { Dim, Shape } from './ir.js';

export const fmtShape = (s: Shape): string => `[${s.join(', ')}]`;

export function normAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new GraphError(`${where}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Numpy-style broadcast. Equal symbols match; a symbol meets a fixed size by taking that size. */
export function broadcastShapes(shapes: Shape[], where: string): Shape {
  const out = tryBroadcast(shapes);
  if (!out) throw new GraphError(`${where}: ${cannotBroadcast(shapes)}`);
  return out;
}

export const cannotBroadcast = (shapes: Shape[]): string => `cannot broadcast ${shapes.map(fmtShape).join(' with ')}`;

/** broadcastShapes' result, or undefined where the shapes do not broadcast (for a caller that words the error). */
export function tryBroadcast(shapes: Shape[]): Shape | undefined {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i];
      if (d === undefined || d === 1 || d === dim) continue;
      if (dim === 1 || (typeof dim === 'string' && typeof d === 'number')) dim = d;
      else if (typeof dim === 'number' && typeof d === 'string') continue;
      else return undefined;
    }
    out.push(dim);
  }
  return out;
}

/** Element count when every dimension is fixed. */
export function staticSize(shape: Shape): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

/** Whether two shapes can be equal at run time: one rank, and equal dims where both are numbers (symbols are not compared). */
export const mayEqual = (a: Shape, b: Shape): boolean =>
  a.length === b.length && a.every((d, i) => typeof d !== 'number' || typeof b[i] !== 'number' || d === b[i]);

export const isStatic = (shape: Shape): shape is number[] => shape.every((d) => typeof d === 'number');
