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
  private readonly row: number;
  /** Positions cached so far. */
  length = 0;

  constructor(
    private readonly shape: KvShape,
    private readonly batch: number,
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
