import { linear, type Value } from '@codistill/graph';

/**
 * Every nn.Linear of a graph builder goes through this hook. `module` is the Hugging Face module
 * path (e.g. `model.layers.0.self_attn.q_proj`), `weight` the [out, in] weight as stored (in the
 * compute dtype), so the layer is y = x @ weight^T + bias. LoRA replaces it to add its low-rank
 * update; extra graph inputs it needs are made with `x.graph.input(...)`.
 */
export type LinearHook = (module: string, x: Value, weight: Value, bias?: Value) => Value;

/** y = x @ W^T + b as graph's `linear` (one Gemm reading W in place, no transposed copy). */
export const defaultLinear: LinearHook = (_module, x, weight, bias) => linear(x, weight, bias);
