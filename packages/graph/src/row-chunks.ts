// A computation over the rows of a [N, ...] tensor done a chunk of rows at a time, so what it
// makes per row (e.g. vocabulary-wide logits) is only ever held for one chunk. ONNX has no loop
// here that every provider runs well, so the chunks are unrolled when the graph is built.
import type { Value } from './builder.js';
import type { NodeDef } from './ir.js';
import { after, zeroAfter } from './after.js';
import { add } from './ops/add.js';
import { concat } from './ops/concat.js';
import { less } from './ops/compare.js';
import { gather } from './ops/gather.js';
import { shapeOf } from './ops/shape.js';
import { arange, rangeBound, rangeOp } from './ops/range.js';
import { sub } from './ops/sub.js';
import { where } from './ops/where.js';
import { GraphError } from './graph-error.js';

export interface RowChunkOptions {
  /** Rows per chunk: what a chunk holds is chunkRows x its width. */
  chunkRows: number;
  /** Most rows a run feeds (e.g. batchSize * maxLength) when the row count is symbolic; a run with more fails. */
  maxRows?: number;
}

const minOf = (a: Value, b: Value | number): Value => where(less(a, b), a, b);
const maxOf = (a: Value, b: Value | number): Value => where(less(a, b), b, a);

/**
 * Indices of chunk rows [start, start + size) clamped to the `n` rows there are. A chunk wholly
 * past the end gets one duplicate of the last row instead of none (an empty chunk is an error for
 * some kernels); those rows land after row n and are dropped. The bounds are int64 scalar shape
 * arithmetic (ONNX Runtime keeps it on the CPU); the indices are int32, which WebGPU computes with.
 */
function chunkIndices(n: Value, start: number, size: number): Value {
  const g = n.graph;
  const first = minOf(g.scalar(start, 'int64'), sub(n, 1));
  const limit = maxOf(minOf(g.scalar(start + size, 'int64'), n), add(first, 1));
  return rangeOp(rangeBound(first, 'int32'), rangeBound(limit, 'int32'), g.scalar(1, 'int32'));
}

/** rows[idx]: a Gather on axis 0, whose gradient adds 16-bit rows in float32 (Gather's VJP). */
export const gatherRows = (rows: Value, idx: Value): Value => gather(rows, idx, 0);

export interface RowChunks {
  /** Each of fn's outputs for all `n` rows, the chunks' rows concatenated. */
  outputs: Value[];
  /** Each chunk's nodes: recomputing them in the backward pass (see RecomputeOptions) keeps one chunk alive there too. */
  chunks: NodeDef[][];
}

/**
 * fn applied to each chunk of `rows` [N, ...] (N = `n`, an int64 [1] as a shape gives it; at most
 * `size` rows: a number, or the static row count), given the chunk's rows and their indices; fn's
 * outputs have one row per index. Each chunk starts only once the previous one's outputs exist, so
 * one chunk's [chunkRows, vocab] tensors are alive at a time (ONNX Runtime would otherwise be free
 * to run every chunk's logits first and keep them all until their last use).
 */
export function mapRowChunks(rows: Value, opts: RowChunkOptions, fn: (chunk: Value, idx: Value) => Value[]): RowChunks {
  if (!(Number.isInteger(opts.chunkRows) && opts.chunkRows > 0)) throw new GraphError(`chunkRows must be a positive integer, got ${opts.chunkRows}`);
  const size = rows.shape[0];
  const maxRows = typeof size === 'number' ? size : opts.maxRows;
  if (maxRows === undefined) throw new GraphError(`the row count '${size}' of '${rows.name}' is symbolic: pass maxRows`);
  const g = rows.graph;
  const n = shapeOf(rows, 0, 1);
  const chunks: NodeDef[][] = [];
  let previous: Value | undefined;
  const parts = Array.from({ length: Math.ceil(maxRows / opts.chunkRows) }, (_, k) => {
    const idx = chunkIndices(n, k * opts.chunkRows, opts.chunkRows);
    const start = g.nodes.length;
    const out = g.scope(`chunk${k}`, () => {
      const chunk = gatherRows(rows, idx);
      return fn(previous ? after(chunk, previous) : chunk, idx);
    });
    chunks.push(g.nodes.slice(start));
    previous = out.map(zeroAfter).reduce((a, b) => add(a, b));
    return out;
  });
  // Real rows come first in the concatenation: every chunk before the end is full.
  const outputs = parts[0].map((_, j) => gather(concat(parts.map((p) => p[j]), 0), arange(n, 'int32'), 0));
  return { outputs, chunks };
}
