// The graphs codistill runs, built from the tiny fixtures the way the packages build them, for the
// GPU placement and kernel-table tests.
import { dropout, dropoutInputs, GraphBuilder, gradients, hostTensor, type HostTensor, type ModelIR } from '@codistill/graph';
import { buildCausalLm, buildEncoder, Checkpoint, TextTokenizer, type ComputeDtype } from '@codistill/models';
import { initLoraWeights, loraHook, parseLoraConfig } from '@codistill/lora';
import { scoredRows, shiftLabels } from '@codistill/losses';
import { codePositionFeeds, pool } from '@codistill/codebert';
import { LOSS_ROWS } from '../src/collate.js';
import { buildTrainGraph, parseTrainOptions } from '../src/index.js';
import { modelsFixture, tmp } from './helpers.js';

export const student = modelsFixture('tiny-llama');
export const roberta = modelsFixture('tiny-roberta');

/** LoRA on all seven projections, B random too (init_lora_weights false), so every gradient is non-zero. */
const loraConfig = (dropout: number) =>
  parseLoraConfig({ r: 4, lora_alpha: 8, lora_dropout: dropout, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], init_lora_weights: false });

/** Generator.create's graph: KV cache, last position's logits; LoRA (merged into a hook, as served adapters are) optional. */
export function decodeGraph(dtype: ComputeDtype = 'float32', lora = false): ModelIR {
  return buildCausalLm(new Checkpoint(student), { kvCache: true, logits: 'last', dtype, ...(lora ? { linear: loraHook(loraConfig(0), { training: false }).hook } : {}) }).toModel();
}

/** Dropout of a value with no dim known to be even: its mask takes the Gather path (graph's dropoutMask). */
export function oddDropoutGraph(): ModelIR {
  const g = new GraphBuilder('dropout');
  const x = g.input('x', 'float32', ['rows', 'cols']);
  g.output(dropout(x, 0.1, dropoutInputs(x), 0), 'y');
  return g.toModel();
}

/** CodeBertEmbedder.load's graph: the encoder with mean pooling. */
export function embedderGraph(): ModelIR {
  const enc = buildEncoder(new Checkpoint(roberta), { graph: new GraphBuilder('codebert-embedder') });
  enc.graph.output(pool(enc.lastHidden, enc.attentionMask, 'mean'), 'embedding');
  return enc.toModel();
}

/**
 * The trainer's own step graph (buildTrainGraph, as `train` builds it with codebert set): LoRA on
 * all seven projections, token loss plus the structural loss, optionally the chunked cross-entropy
 * (token loss and code-position logits), layer recomputation and attention in 4 causal query
 * blocks, as the paper preset trains.
 */
export function trainGraph(loraDropout: number, dtype: ComputeDtype = 'float32', memorySaving = false) {
  const o = parseTrainOptions({
    model_name_or_path: student,
    train_file: '-',
    output_dir: '-',
    codebert: roberta,
    lora: loraConfig(loraDropout),
    bf16: dtype === 'bfloat16',
    fp16: dtype === 'float16',
    device: 'webgpu', // the 16-bit dtypes are built as a GPU run builds them
    per_device_train_batch_size: 2,
    max_length: 10,
    // The paper preset's max_length 2048 gives attention 4 causal query blocks (attention_query_blocks auto).
    ...(memorySaving ? { chunked_cross_entropy: 8, gradient_checkpointing: 'layer' as const, attention_query_blocks: 4 } : { chunked_cross_entropy: 0 }),
  });
  const built = buildTrainGraph(o, 64, tmp(), () => undefined);
  return { ...built, weights: initLoraWeights(o.lora, built.modules, 3) };
}

/** The step graph with its gradients, as TrainStep.create compiles it. */
export function trainStepModel(dtype: ComputeDtype = 'float32', memorySaving = false): ModelIR {
  const { loss, params, recompute } = trainGraph(0.1, dtype, memorySaving);
  gradients(loss.graph.output(loss), params, { recompute });
  return loss.graph.toModel();
}

/** Feeds for one batch of two rows of the tiny models (code span in the second half); memory-saving graphs score loss_rows. */
export function trainFeeds(memorySaving = false): Record<string, HostTensor> {
  const T = 10;
  const ids = Array.from({ length: 2 * T }, (_, i) => (i * 37 + 5) % 384);
  const { labels, weights } = shiftLabels(ids, Array.from({ length: 2 * T }, (_, i) => (i % T >= 3 ? 1 : 0)), 2, T);
  const { positions, mask, C } = codePositionFeeds([{ start: 4, end: 9 }, { start: 2, end: 8 }], T, 127);
  return {
    input_ids: hostTensor('int64', [2, T], ids),
    attention_mask: hostTensor('int64', [2, T], new Array(2 * T).fill(1)),
    labels: hostTensor('int32', [2, T], Int32Array.from(labels, Number)),
    loss_weights: hostTensor('float32', [2, T], weights),
    code_positions: hostTensor('int32', [2 * C], positions),
    code_mask: hostTensor('int32', [2, C], mask),
    gt_embedding: hostTensor('float32', [2, 64], Array.from({ length: 128 }, (_, i) => Math.sin(i))),
    alpha: hostTensor('float32', [], [0.7]),
    beta: hostTensor('float32', [], [0.3]),
    ...(memorySaving ? { [LOSS_ROWS]: scoredRows(weights) } : {}),
  };
}

/** A two-row prompt for greedy decoding. */
export function prompt(): { ids: HostTensor; mask: HostTensor } {
  const tok = TextTokenizer.fromDir(student);
  const ids = tok.encode('def add(a, b):', true);
  return { ids: hostTensor('int64', [1, ids.length], ids), mask: hostTensor('int64', [1, ids.length], ids.map(() => 1)) };
}
