// The graphs codistill runs, built from the tiny fixtures the way the packages build them, for the
// GPU placement, run and kernel-table tests.
import { dropout, dropoutFeeds, dropoutInputs, GraphBuilder, gradients, hostTensor, isFloat, type HostTensor, type ModelIR } from '@codistill/graph';
import { buildCausalLm, buildEncoder, Checkpoint, KvCache, TextTokenizer, type ComputeDtype } from '@codistill/models';
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
    // The 16-bit dtypes are built as a GPU run builds them; bfloat16 runs on CUDA only (WebGPU has no bfloat16 kernels).
    device: dtype === 'bfloat16' ? 'cuda' : 'webgpu',
    per_device_train_batch_size: 2,
    max_length: 10,
    // The paper preset's max_length 2048 gives attention 4 causal query blocks (attention_query_blocks auto).
    ...(memorySaving ? { chunked_cross_entropy: 8, gradient_checkpointing: 'layer' as const, attention_query_blocks: 4 } : { chunked_cross_entropy: 0 }),
  });
  const built = buildTrainGraph(o, 64, tmp(), () => undefined);
  return { ...built, weights: initLoraWeights(o.lora, built.modules, 3) };
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

/** A graph as the GPU tests place and run it: the model and the feeds of one run. */
export interface GpuRun {
  model: ModelIR;
  feeds: Record<string, HostTensor>;
}

/** Every float input of static shape not in `feeds` (LoRA weights) filled with small deterministic values, B's included. */
function withWeights(model: ModelIR, feeds: Record<string, HostTensor>): Record<string, HostTensor> {
  const all = { ...feeds };
  for (const v of model.graph.inputs) {
    if (v.name in all || !isFloat(v.dtype) || !v.shape.every((d) => typeof d === 'number')) continue;
    // Seeded by the name: a float16 graph's twin gets the same values whatever its inputs' order.
    const k = [...v.name].reduce((a, c) => a + c.charCodeAt(0), 0);
    const dims = v.shape as number[];
    all[v.name] = hostTensor(v.dtype, dims, Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => 0.2 * Math.sin(i * 0.37 + k)));
  }
  return all;
}

/** The decode graph's first run: the prompt, into an empty KV cache. */
export function decodeRun(dtype: ComputeDtype = 'float32', lora = false): GpuRun {
  const model = decodeGraph(dtype, lora);
  const pasts = model.graph.inputs.filter((v) => v.name.startsWith('past_key_values'));
  const cache = new KvCache({ layers: pasts.length / 2, kvHeads: Number(pasts[0].shape[2]), headDim: Number(pasts[0].shape[3]) }, 1, 1, dtype);
  const { ids, mask } = prompt();
  return { model, feeds: withWeights(model, { ...cache.past(), input_ids: ids, attention_mask: mask }) };
}

/** The embedder on two rows, the second padded. */
export function embedderRun(): GpuRun {
  const ids = [0, 17, 250, 33, 90, 1, 0, 44, 101, 1, 2, 2];
  return { model: embedderGraph(), feeds: { input_ids: hostTensor('int64', [2, 6], ids), attention_mask: hostTensor('int64', [2, 6], ids.map((_, i) => (i >= 10 ? 0 : 1))) } };
}

/** The odd-sized dropout, on. */
export function oddDropoutRun(): GpuRun {
  return { model: oddDropoutGraph(), feeds: { x: hostTensor('float32', [3, 5], Array.from({ length: 15 }, (_, i) => i - 7)), ...dropoutFeeds(7) } };
}

/** The step graph with its gradients, as TrainStep.create compiles it, with its LoRA weights, one batch (trainFeeds) and dropout on. */
export function trainStepRun(dtype: ComputeDtype = 'float32', memorySaving = false): GpuRun {
  const { loss, params, recompute, weights } = trainGraph(0.1, dtype, memorySaving);
  gradients(loss.graph.output(loss), params, { recompute });
  const shaped = Object.fromEntries(params.map((p) => [p.name, hostTensor('float32', p.shape as number[], weights[p.name])]));
  return { model: loss.graph.toModel(), feeds: { ...trainFeeds(memorySaving), ...shaped, ...dropoutFeeds(7) } };
}
