import type { RecomputePolicy } from '@codistill/graph';
import type { LlamaShape } from './random-checkpoint.js';

export interface FlopsOptions {
  /** Positions each query attends over as computed (the graph scores all T keys, masked or not). */
  seq: number;
  /**
   * Attention in this many causal query blocks (CausalLmOptions.queryBlocks): a query then scores
   * (blocks + 1) / (2 blocks) of the seq keys on average. Default 1.
   */
  queryBlocks?: number;
  /** A LoRA training step: the backward pass to the activations (frozen weights get no gradient). */
  training?: boolean;
  recompute?: RecomputePolicy;
}

/**
 * Matrix-product FLOPs per token of a Llama of this shape (LoRA's rank-r products left out: they
 * are < 1 % at the ranks used). Forward: 2 per weight of the projections and the head, and 4 x seq
 * x hidden per layer for attention's two products. A training step adds the backward pass to the
 * activations (as much again for the weights, twice the attention), and recomputation its extra
 * forward work: the layers under 'layer', the attention products under 'selective'.
 */
export function llamaFlopsPerToken(s: LlamaShape, o: FlopsOptions): number {
  const h = s.hidden_size;
  const kv = (h / s.num_attention_heads) * s.num_key_value_heads;
  const layerWeights = 2 * h * h + 2 * h * kv + 3 * h * s.intermediate_size;
  const linear = 2 * (s.num_hidden_layers * layerWeights + s.vocab_size * h);
  const blocks = o.queryBlocks ?? 1;
  const attention = (4 * s.num_hidden_layers * o.seq * h * (blocks + 1)) / (2 * blocks);
  if (!o.training) return linear + attention;
  const layersAgain = o.recompute === 'layer' ? 2 * s.num_hidden_layers * layerWeights + attention : o.recompute === 'selective' ? attention : 0;
  return 2 * linear + 3 * attention + layersAgain;
}
