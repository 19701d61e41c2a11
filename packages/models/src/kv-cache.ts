import { allocate, type DType, type HostTensor, type TypedArray } from '@codistill/graph';

/** The cache's shape: what buildCausalLm's config says of the KV heads. */
export interface KvShape {
  layers: number;
  kvHeads: number;
  headDim: number;
}

/**
 * The keys and values of a causal LM built with `kvCache: true`, for one generation of up to
 * `maxLength` positions: one buffer per layer and kind, time-major [position, batch, kvHeads,
 * headDim], so the past is a prefix view and a run's new positions append with one contiguous
 * write. Nothing is allocated per step: a graph that returned the whole grown cache every step
 * made ONNX Runtime allocate (and the system fault in) a new cache-sized output each run, which
 * made batch 32 slower than batch 1 on the CPU.
 */
export class KvCache {
  private readonly buffers: Map<string, TypedArray>;
  private row: number;
  /** Positions cached so far. */
  length = 0;

  constructor(
    private readonly shape: KvShape,
    private batch: number,
    private readonly maxLength: number,
    private readonly dtype: DType = 'float32',
  ) {
    this.row = batch * shape.kvHeads * shape.headDim;
    const names = Array.from({ length: shape.layers }, (_, i) => [`${i}.key`, `${i}.value`]).flat();
    this.buffers = new Map(names.map((name) => [name, allocate(dtype, maxLength * this.row)]));
  }

  /** The feeds `past_key_values.{i}.key|value`: views of the cached positions. */
  past(): Record<string, HostTensor> {
    const dims = [this.length, this.batch, this.shape.kvHeads, this.shape.headDim];
    return Object.fromEntries(
      [...this.buffers].map(([name, data]) => [
        `past_key_values.${name}`,
        { dtype: this.dtype, dims, data: data.subarray(0, this.length * this.row) },
      ]),
    );
  }

  /** Keep only these rows of the batch (indices, ascending), e.g. when the others finished. */
  keepRows(rows: number[]): void {
    const width = this.row / this.batch;
    for (const data of this.buffers.values()) {
      // Row by row in cache order: every row moves to an index at or before its own, so in place is safe.
      for (let t = 0, to = 0; t < this.length; t++) {
        for (const b of rows) {
          const from = (t * this.batch + b) * width;
          data.copyWithin(to, from, from + width);
          to += width;
        }
      }
    }
    this.batch = rows.length;
    this.row = rows.length * width;
  }

  /** Append a run's `new_key_values.{i}.key|value` outputs. */
  append(outputs: Record<string, HostTensor>): void {
    let added = 0;
    for (const [name, data] of this.buffers) {
      const fresh = outputs[`new_key_values.${name}`];
      added = fresh.dims[0];
      if (this.length + added > this.maxLength)
        throw new Error(
          `KV cache: ${this.length + added} positions exceed the ${this.maxLength} it was made for`,
        );
      data.set(fresh.data as never, this.length * this.row);
    }
    this.length += added;
  }
}
