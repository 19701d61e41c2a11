// The LoRA training step the benchmarks run on a random Llama: labels = inputs, every position in
// the loss unless promptFraction leaves each row's start out (as SFT data's prompt), AdamW, a fresh
// dropout seed per pass (as the trainer feeds them).
import { AdamW, DROPOUT_SEED, dropoutFeeds, dropoutSeed, GraphBuilder, hostTensor, mulberry32, TrainStep, type HostTensor, type Int8ProductReport, type Placement, type RecomputePolicy, type RunnerOptions, type StepResult } from '@codistill/graph';
import { buildCausalLm, Checkpoint } from '@codistill/models';
import { initLoraWeights, loraHook, parseLoraConfig, type LoraConfig } from '@codistill/lora';
import { chunkedTokenLoss, scoredRows, shiftLabels, tokenLoss } from '@codistill/losses';
import { LOSS_ROWS } from '../src/collate.js';

/** The slice benches' adapter: torch_slice.py's (r=32, alpha=32, dropout 0.1 on q, k, v, o). */
export const SLICE_LORA: Partial<LoraConfig> = { r: 32, lora_alpha: 32, lora_dropout: 0.1, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] };

export interface LoraStepOptions {
  lora: Partial<LoraConfig>;
  B: number;
  T: number;
  /** Rows per chunk of the fused cross-entropy; 0 builds the full logits. */
  chunkRows: number;
  /** Vocabulary blocks of the chunked cross-entropy's head product (linearCrossEntropy's vocabBlocks); default its default. */
  vocabBlocks?: number;
  /** Attention in this many causal query blocks (CausalLmOptions.queryBlocks); default 1. */
  queryBlocks?: number;
  policy: RecomputePolicy;
  runner: RunnerOptions;
  /** The share of each row's first positions out of the loss, as a prompt is in SFT data; default 0. */
  promptFraction?: number;
  /** Chunked, send only the scored positions through the head, as the trainer does; default true. */
  scoredRowsOnly?: boolean;
}

export interface LoraStep {
  /** One forward + backward + AdamW update; `pass` picks the dropout masks. */
  run(pass: number): Promise<StepResult>;
  /** Bytes of the weights the graph reads (its initializers). */
  weightBytes: number;
  /** Which provider runs each node (with runner.placement or on a GPU provider). */
  placement: Placement | undefined;
  /** What runner.int8Products rewrote, when it was given. */
  int8: Int8ProductReport | undefined;
  /** The LoRA weights as they are now. */
  params: Record<string, Float32Array>;
  feeds: Record<string, HostTensor>;
  /** The ONNX Runtime profile's file (with runner.profile). */
  endProfiling(): string;
  release(): Promise<void>;
}

export async function createLoraStep(dir: string, o: LoraStepOptions): Promise<LoraStep> {
  const ckpt = new Checkpoint(dir);
  const config = parseLoraConfig(o.lora);
  const { hook, modules } = loraHook(config, { training: true });
  const lm = buildCausalLm(ckpt, { linear: hook, graph: new GraphBuilder('bench'), logits: o.chunkRows ? 'none' : 'all', queryBlocks: o.queryBlocks });
  // int32 labels, as the trainer feeds them: WebGPU has no int64 kernels.
  const labels = lm.graph.input('labels', 'int32', ['batch', 'seq']);
  const weights = lm.graph.input('loss_weights', 'float32', ['batch', 'seq']);
  const rows = o.chunkRows && o.scoredRowsOnly !== false ? lm.graph.input(LOSS_ROWS, 'int32', [LOSS_ROWS]) : undefined;
  const ce = o.chunkRows ? chunkedTokenLoss(lm.lastHidden, lm.headWeight, labels, weights, { chunkRows: o.chunkRows, maxRows: o.B * o.T, vocabBlocks: o.vocabBlocks, rows }) : tokenLoss(lm.logits!, labels, weights);
  const recompute = [{ policy: o.policy, segments: lm.layers }];
  const step = await TrainStep.create(ce.loss, modules.flatMap((m) => [m.A, m.B]), { ...o.runner, externalDataDir: ckpt.externalDataDir, recompute });
  const params = initLoraWeights(config, modules, 0);
  const rand = mulberry32(0);
  const ids = Array.from({ length: o.B * o.T }, () => Math.floor(rand() * lm.config.vocabSize));
  const prompt = Math.floor((o.promptFraction ?? 0) * o.T);
  const shifted = shiftLabels(ids, Array.from({ length: o.B * o.T }, (_, i) => (i % o.T >= prompt ? 1 : 0)), o.B, o.T);
  const feeds: Record<string, HostTensor> = {
    input_ids: hostTensor('int64', [o.B, o.T], ids),
    attention_mask: hostTensor('int64', [o.B, o.T], new Array(o.B * o.T).fill(1)),
    labels: hostTensor('int32', [o.B, o.T], Int32Array.from(shifted.labels, Number)),
    loss_weights: hostTensor('float32', [o.B, o.T], shifted.weights),
    ...(rows ? { [LOSS_ROWS]: scoredRows(shifted.weights) } : {}),
  };
  const opt = new AdamW({ lr: 5e-5 });
  const weightBytes = [...lm.graph.initializers.values()].reduce((a, t) => a + (t.external?.length ?? t.data?.byteLength ?? 0), 0);
  return {
    weightBytes,
    placement: step.placement,
    int8: step.int8,
    params,
    feeds,
    async run(pass) {
      const r = await step.run(params, { ...feeds, ...(step.inputNames.includes(DROPOUT_SEED) ? dropoutFeeds(dropoutSeed(0, pass)) : {}) });
      opt.step(params, r.grads);
      return r;
    },
    endProfiling: () => step.endProfiling(),
    release: () => step.release(),
  };
}
