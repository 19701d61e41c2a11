import type { DType } from '../dtype.js';
import type { Dim, Shape, TensorType } from '../ir.js';
import type { Value } from '../builder.js';
import type { InferCtx } from '../op-def.js';
import { GraphError } from '../graph-error.js';
import { cannotBroadcast, tryBroadcast } from '../shape.js';

/** Inputs that must be present. */
export function required(ctx: InferCtx, n: number): TensorType[] {
  const out: TensorType[] = [];
  for (let i = 0; i < n; i++) {
    const t = ctx.inputs[i];
    if (!t) ctx.fail(`input ${i} is required`);
    out.push(t);
  }
  return out;
}

export function sameDtype(ctx: InferCtx, types: TensorType[]): DType {
  const d = types[0].dtype;
  if (types.some((t) => t.dtype !== d)) ctx.fail('inputs must share one dtype');
  return d;
}

/** Unary op whose output has the input's dtype and shape. */
export const inferUnary = (ctx: InferCtx): TensorType[] => {
  const [x] = required(ctx, 1);
  return [{ dtype: x.dtype, shape: [...x.shape] }];
};

/** Elementwise op over broadcast inputs of one dtype; `dtype` overrides the output dtype. */
export const inferBroadcast =
  (arity: number, dtype?: DType) =>
  (ctx: InferCtx): TensorType[] => {
    const ts = required(ctx, arity);
    const d = sameDtype(ctx, ts);
    return [{ dtype: dtype ?? d, shape: broadcast(ctx, ts.map((t) => t.shape)) }];
  };

/** The broadcast of `shapes` (see broadcastShapes), or an error naming the node and its inputs. */
export const broadcast = (ctx: InferCtx, shapes: Shape[]): Shape => tryBroadcast(shapes) ?? ctx.fail(cannotBroadcast(shapes));

/** Constant integer list from input i (axes, pads, ...), or a clear error. */
export function constInts(ctx: InferCtx, i: number, what: string): number[] {
  const c = ctx.constant(i);
  if (!c) ctx.fail(`${what} (input ${i}) must be a constant`);
  return Array.from(c as ArrayLike<number | bigint>, Number);
}

/**
 * `axes` normalised to [0, rank), each once: ONNX Runtime refuses a repeated axis only when the
 * node runs. Errors go through ctx.fail, which names the node once.
 */
export function normAxes(ctx: InferCtx, axes: number[], rank: number): number[] {
  const out = axes.map((a) => (a < 0 ? a + rank : a));
  out.forEach((a, i) => {
    if (a < 0 || a >= rank) ctx.fail(`axis ${axes[i]} out of range for rank ${rank}`);
  });
  const twice = out.findIndex((a, i) => out.indexOf(a) !== i);
  if (twice >= 0) ctx.fail(`axis ${axes[twice]} given twice in [${axes.join(', ')}]`);
  return out;
}

/** The reductions opset 18's scatters take. ONNX Runtime runs any other string as 'none', overwriting where a reduction was meant. */
const SCATTER_REDUCTIONS = ['none', 'add', 'mul', 'max', 'min'];

/**
 * A scatter's data, indices and updates, with the checks ScatterND and ScatterElements share:
 * updates of the data's dtype (ONNX Runtime refuses others when the session is made) and a known reduction.
 */
export function scatterInputs(ctx: InferCtx): TensorType[] {
  const [data, indices, updates] = required(ctx, 3);
  const reduction = ctx.attr<string>('reduction', 'none');
  if (!SCATTER_REDUCTIONS.includes(reduction)) ctx.fail(`reduction '${reduction}' is not one of ${SCATTER_REDUCTIONS.join(', ')}`);
  if (updates.dtype !== data.dtype) ctx.fail(`updates are ${updates.dtype}, the data ${data.dtype}: they must share one dtype`);
  return [data, indices, updates];
}

/** Symbol for a dimension nothing tells us the size of. */
export const freshDim = (ctx: InferCtx, tag: string): Dim => `${ctx.node.name}:${tag}`;

export function sumDims(dims: Dim[]): Dim {
  if (dims.every((d) => typeof d === 'number')) return (dims as number[]).reduce((a, b) => a + b, 0);
  return dims.filter((d) => d !== 0).join('+');
}

/** Lift a JS number to a scalar constant of `like`'s dtype. */
export function lift(like: Value, v: Value | number): Value {
  return typeof v === 'number' ? like.graph.scalar(v, like.dtype) : v;
}

export function assertRank(v: Value, min: number, where: string): void {
  if (v.rank < min) throw new GraphError(`${where}: '${v.name}' needs rank >= ${min}, has ${v.rank}`);
}

export const range = (n: number, start = 0): number[] => Array.from({ length: n }, (_, i) => start + i);

/** The dims of `shape` with `axes` removed. */
export const dropAxes = (shape: Shape, axes: number[]): Shape => shape.filter((_, i) => !axes.includes(i));
