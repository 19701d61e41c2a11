import path from 'node:path';
import { DROPOUT_SEED, dropoutFeeds, GraphBuilder, hostTensor, LOSS_SCALE, ops, Runner, TrainStep, withParams, type HostTensor, type Params, type RecomputeOptions, type RunnerOptions, type Value } from '@codistill/graph';
import { buildCausalLm, Checkpoint } from '@codistill/models';
import { loraHook, targets } from '@codistill/lora';
import { chunkedTokenLoss, combinedLoss, structuralLoss, tokenLoss } from '@codistill/losses';
import { chunkedSoftCodeEmbedding, loadBridge, sequenceCapacity, softCodeEmbedding, type ChunkedSoftCode } from '@codistill/codebert';
import { LOSS_ROWS } from './collate.js';
import { HALF_DEVICES, type TrainOptions } from './options.js';

/** The training step's graph before it is differentiated: what TrainStep.create takes. */
export interface TrainGraph {
  loss: Value;
  /** LoRA's A and B of every adapted module, the values differentiated with respect to. */
  params: Value[];
  modules: ReturnType<typeof loraHook>['modules'];
  /** Outputs fetched beside the gradients: token_loss, and struct_loss with the structural loss. */
  fetch: Value[];
  recompute: RecomputeOptions[];
  /** Code positions CodeBERT holds (its sequenceCapacity), with the structural loss. */
  codeCapacity?: number;
  /** Whether the step scales its loss (float16 base model: TrainStep's lossScale, GradScaler). */
  lossScale: boolean;
}

/** The base model's compute dtype on this device (from TrainOptions' bf16/fp16). */
function computeDtype(o: TrainOptions, warn: (message: string) => void): TrainOptions['dtype'] {
  if (o.device !== 'cpu' || o.dtype === 'float32') return o.dtype;
  const half = o.bf16 ? 'bf16' : 'fp16';
  warn(`${half}: the CPU provider computes the base model in float32 (16-bit weights are a GPU setting; use --device ${HALF_DEVICES[half].join(' or ')})`);
  return 'float32';
}

/**
 * The loss graph as `train` builds it: LoRA on the student, token loss (chunked or on the full
 * logits), and with `codebert` the structural loss on the curriculum's alpha/beta feeds.
 * `bridgeDim` is the ground-truth embeddings' width; `cacheDir` holds the bridge matrix.
 * `training: false` leaves out dropout (the forward-only evaluation graph).
 */
export function buildTrainGraph(o: TrainOptions, bridgeDim: number | undefined, cacheDir: string, warn: (message: string) => void, training = true): TrainGraph {
  const ckpt = new Checkpoint(o.model_name_or_path);
  const { hook, modules } = loraHook(o.lora, { training });
  const chunkRows = o.chunked_cross_entropy || null;
  if (chunkRows !== null && targets(o.lora, 'lm_head')) throw new Error('chunked_cross_entropy keeps lm_head frozen: drop lm_head from lora.target_modules or set chunked_cross_entropy to 0');
  const dtype = computeDtype(o, warn);
  const lm = buildCausalLm(ckpt, { linear: hook, dtype, graph: new GraphBuilder('codistill-train'), logits: chunkRows !== null ? 'none' : 'all', queryBlocks: o.attention_query_blocks });
  const g = lm.graph;
  // Per-token integers as int32: WebGPU has kernels for int32 index arithmetic, none for int64.
  const labels = g.input('labels', 'int32', ['batch', 'seq']);
  const weights = g.input('loss_weights', 'float32', ['batch', 'seq']);
  const maxRows = o.per_device_train_batch_size * o.max_length;
  // Chunked, only the scored positions' rows go through the head (collate feeds them as loss_rows).
  const ce = chunkRows !== null ? chunkedTokenLoss(lm.lastHidden, lm.headWeight, labels, weights, { chunkRows, maxRows, rows: g.input(LOSS_ROWS, 'int32', [LOSS_ROWS]) }) : tokenLoss(lm.logits!, labels, weights);
  const tl = g.output(ce.loss, 'token_loss');
  let loss = tl;
  let codeCapacity: number | undefined;
  const fetch = [tl];
  const recompute = [{ policy: o.gradient_checkpointing, segments: lm.layers }];
  if (o.codebert) {
    const codebert = new Checkpoint(o.codebert);
    codeCapacity = sequenceCapacity(codebert.config);
    const bridge = loadBridge(o.model_name_or_path, lm.config.vocabSize, o.codebert, cacheDir);
    const codePositions = g.input('code_positions', 'int32', ['code_rows']);
    const codeMask = g.input('code_mask', 'int32', ['batch', 'code']);
    const gt = g.input('gt_embedding', 'float32', ['batch', bridgeDim!]);
    // Rows whose code span the length limit cut away have no code positions: they stay out of the loss.
    const rows = ops.cast(ops.greater(ops.reduceSum(codeMask, [1], false), 0), 'float32');
    const code = { codePositions, codeMask };
    // Chunked, the code rows' logits are made from the hidden states a chunk at a time, and each chunk recomputed in the backward pass.
    const soft: ChunkedSoftCode =
      chunkRows !== null
        ? chunkedSoftCodeEmbedding(codebert, bridge, { ...code, hidden: lm.lastHidden, headWeight: lm.headWeight }, { chunkRows, maxRows: o.per_device_train_batch_size * codeCapacity })
        : { embedding: softCodeEmbedding(codebert, bridge, { ...code, logits: lm.logits! }), chunks: [] };
    recompute.push({ policy: 'layer', segments: soft.chunks });
    const sl = g.output(structuralLoss(soft.embedding, gt, rows), 'struct_loss');
    loss = combinedLoss(tl, sl, g.input('alpha', 'float32', []), g.input('beta', 'float32', []));
    fetch.push(sl);
  }
  // As Trainer with fp16: float16 gradients lose their small values without a loss scale; bfloat16 has float32's range.
  return { loss, params: modules.flatMap((m) => [m.A, m.B]), modules, fetch, recompute, codeCapacity, lossScale: dtype === 'float16' };
}

/** ONNX Runtime settings for the training and evaluation sessions; load_in_8bit's weights are quantised into `cacheDir`/int8. */
function runnerOptions(o: TrainOptions, cacheDir: string): RunnerOptions {
  // No pre-packed weights: a training graph reads each frozen weight in two layouts (forward and
  // backward), so packing holds it twice; a pass multiplies hundreds of rows, so packing per call costs nothing.
  const int8 = o.load_in_8bit ? { int8Products: { cacheDir: path.join(cacheDir, 'int8') } } : {};
  return { provider: o.device, threads: o.threads ?? undefined, memoryArena: o.memory_arena, allowCpuFallback: o.allow_cpu_fallback, prepackWeights: false, ...int8 };
}

export interface CompiledStep {
  step: TrainStep;
  shapes: Record<string, number[]>;
  modules: TrainGraph['modules'];
  codeCapacity?: number;
}

export async function compileStep(o: TrainOptions, bridgeDim: number | undefined, cacheDir: string, warn: (message: string) => void): Promise<CompiledStep> {
  const { loss, params, modules, fetch, recompute, codeCapacity, lossScale } = buildTrainGraph(o, bridgeDim, cacheDir, warn);
  const step = await TrainStep.create(loss, params, { ...runnerOptions(o, cacheDir), fetch, recompute, lossScale });
  const shapes = Object.fromEntries(params.map((p) => [p.name, p.shape as number[]]));
  return { step, shapes, modules, codeCapacity };
}

/** A held-out batch's losses: the combined one the step minimises, and its parts. */
export interface HeldOutLosses {
  loss: number;
  token_loss: number;
  struct_loss?: number;
}

/** Outputs of a graph that takes the LoRA weights as inputs, for these weights and feeds. */
type Evaluate = (params: Params, feeds: Record<string, HostTensor>, names: readonly string[]) => Promise<Record<string, HostTensor>>;

/**
 * The held-out examples' loss, without dropout, fed the training step's current LoRA weights:
 * from a forward-only graph in a session of its own (create; `eval_forward_only`, the default),
 * which holds a second copy of the frozen weights, or from the training step's own session with
 * dropout off (onStep), which holds nothing more but runs a whole step (the backward pass too:
 * ONNX Runtime runs every node whatever is fetched) for each held-out batch.
 */
export class EvalLoss {
  private constructor(
    private readonly evaluate: Evaluate,
    /** The loss's output, then those of its parts the graph has (token_loss, struct_loss). */
    private readonly outputs: readonly string[],
    private readonly releaseSession: () => Promise<void>,
  ) {}

  static async create(o: TrainOptions, bridgeDim: number | undefined, cacheDir: string, warn: (message: string) => void): Promise<EvalLoss> {
    const { loss, params } = buildTrainGraph(o, bridgeDim, cacheDir, warn, false);
    const out = loss.graph.outputs.some((v) => v.name === loss.name) ? loss : loss.graph.output(loss, 'loss');
    const runner = await Runner.create(loss.graph.toModel(), runnerOptions(o, cacheDir));
    const shapes = params.map((p) => ({ name: p.name, dims: p.shape as number[] }));
    const evaluate: Evaluate = async (weights, feeds, names) => (await runner.run(withParams(feeds, weights, shapes), [...names])).outputs;
    return new EvalLoss(evaluate, [out.name, ...lossParts(runner.outputNames)], () => runner.release());
  }

  /**
   * The training step's own session, each run with dropout off and, where the step scales its loss
   * (float16), a scale of 1 (its loss output is unscaled; the gradients are not read). Releasing
   * this leaves the step's session alone.
   */
  static onStep(step: TrainStep): EvalLoss {
    const inputs = step.inputNames;
    const feeds = { ...(inputs.includes(DROPOUT_SEED) ? dropoutFeeds(0, false) : {}), ...(inputs.includes(LOSS_SCALE) ? { [LOSS_SCALE]: hostTensor('float32', [], [1]) } : {}) };
    const [loss, ...fetched] = step.lossOutputs;
    return new EvalLoss((params, batch, names) => step.evaluate(params, { ...batch, ...feeds }, names), [loss, ...lossParts(fetched)], async () => {});
  }

  /**
   * The batch's losses: alpha * token + beta * structural with the structural loss, and each part
   * (the combined one falls with alpha along the curriculum even when nothing is learnt).
   */
  async run(params: Params, feeds: Record<string, HostTensor>): Promise<HeldOutLosses> {
    const outputs = await this.evaluate(params, feeds, [...new Set(this.outputs)]);
    const value = (name: string) => Number(outputs[name].data[0]);
    const [loss, ...parts] = this.outputs;
    return { loss: value(loss), token_loss: value('token_loss'), ...(parts.includes('struct_loss') ? { struct_loss: value('struct_loss') } : {}) };
  }

  release(): Promise<void> {
    return this.releaseSession();
  }
}

/** The loss parts among a graph's outputs. */
const lossParts = (names: readonly string[]): string[] => names.filter((name) => name === 'token_loss' || name === 'struct_loss');
