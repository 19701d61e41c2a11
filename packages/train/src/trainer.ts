import fs from 'node:fs';
import path from 'node:path';
import { ensureDir, hashKey, JsonlAppender, readJsonl, writeFileDurable } from '@codistill/util';
import { AdamW, clipGlobalNorm, DROPOUT_SEED, dropoutFeeds, dropoutSeed, GraphBuilder, hostTensor, ops, SGD, TrainStep, type HostTensor, type Optimizer, type Params, type RecomputeOptions, type RunReport, type StepResult, type Value } from '@codistill/graph';
import { buildCausalLm, Checkpoint, TextTokenizer } from '@codistill/models';
import { initLoraWeights, loraHook, saveAdapter, targets } from '@codistill/lora';
import { chunkedTokenLoss, combinedLoss, lossWeightsAt, structuralLoss, tokenLoss } from '@codistill/losses';
import { chunkedSoftCodeEmbedding, CodeBertEmbedder, loadBridge, sequenceCapacity, softCodeEmbedding, type ChunkedSoftCode } from '@codistill/codebert';
import { epochBatches } from './batching.js';
import { listCheckpoints, loadCheckpoint, loadNewestCheckpoint, saveCheckpoint, type TrainerState } from './checkpoint.js';
import { collate, type Collated } from './collate.js';
import { idPacker, readTrainingRecords, tokenize, type TokenizedExample } from './data.js';
import { learningRate } from './lr-schedule.js';
import { TensorBoardWriter } from './tensorboard.js';
import { parseTrainOptions, type TrainOptions, type TrainOptionsInput } from './options.js';

/** One line of train_log.jsonl; the keys Hugging Face Trainer's log_history uses where it has one. */
export interface StepLog {
  step: number;
  /** Fractional, as Trainer logs it: 1.5 is half-way through the second epoch. */
  epoch: number;
  loss: number;
  token_loss: number;
  struct_loss?: number;
  alpha: number;
  beta: number;
  learning_rate: number;
  grad_norm: number;
  tokens: number;
  tokens_per_s: number;
  step_ms: number;
  rss_mib: number;
  peak_rss_mib: number;
  eval_loss?: number;
}

export interface TrainEvents {
  onStep?: (log: StepLog, totalSteps: number) => void;
  onCheckpoint?: (dir: string) => void;
  /** Stop after the current step; the run checkpoints first, so nothing finished is lost. */
  signal?: AbortSignal;
  /** Something the user should know that does not stop the run (a damaged checkpoint skipped on resume); default: stderr. */
  onWarning?: (message: string) => void;
}

export interface TrainResult {
  steps: number;
  /** Examples left out because maxLength cut off their whole target. */
  truncatedAway: number;
  totalSteps: number;
  interrupted: boolean;
  adapterDir: string;
  lastLoss: number;
}

export const LOG_FILE = 'train_log.jsonl';

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
}

interface Compiled {
  step: TrainStep;
  params: Value[];
  shapes: Record<string, number[]>;
  modules: TrainGraph['modules'];
  codeCapacity?: number;
}

/** The base model's compute dtype on this device (see TrainOptions.dtype). */
function computeDtype(o: TrainOptions, warn: (message: string) => void): TrainOptions['dtype'] {
  if (o.device !== 'cpu' || o.dtype === 'float32') return o.dtype;
  warn(`dtype ${o.dtype}: the CPU provider computes the base model in float32 (16-bit weights are a GPU setting; use --device cuda or webgpu)`);
  return 'float32';
}

/**
 * The step's graph as `train` builds it: LoRA on the student, token loss (chunked or on the full
 * logits), and with `codebert` the structural loss on the curriculum's alpha/beta feeds.
 * `bridgeDim` is the ground-truth embeddings' width; `cacheDir` holds the bridge matrix.
 */
export function buildTrainGraph(o: TrainOptions, bridgeDim: number | undefined, cacheDir: string, warn: (message: string) => void): TrainGraph {
  const ckpt = new Checkpoint(o.model);
  const { hook, modules } = loraHook(o.lora, { training: true });
  const chunkRows = o.chunkedCrossEntropy;
  if (chunkRows !== null && targets(o.lora, 'lm_head')) throw new Error('chunkedCrossEntropy keeps lm_head frozen: drop lm_head from lora.target_modules or set chunkedCrossEntropy to null (--chunked-cross-entropy 0)');
  const lm = buildCausalLm(ckpt, { linear: hook, dtype: computeDtype(o, warn), graph: new GraphBuilder('codistill-train'), logits: chunkRows !== null ? 'none' : 'all' });
  const g = lm.graph;
  // Per-token integers as int32: WebGPU has kernels for int32 index arithmetic, none for int64.
  const labels = g.input('labels', 'int32', ['batch', 'seq']);
  const weights = g.input('loss_weights', 'float32', ['batch', 'seq']);
  const ce =
    chunkRows !== null
      ? chunkedTokenLoss(lm.lastHidden, lm.headWeight, labels, weights, { chunkRows, maxRows: o.batchSize * o.maxLength })
      : tokenLoss(lm.logits!, labels, weights);
  const tl = g.output(ce.loss, 'token_loss');
  let loss = tl;
  let codeCapacity: number | undefined;
  const fetch = [tl];
  const recompute = [{ policy: o.gradientCheckpointing, segments: lm.layers }];
  if (o.codebert) {
    const codebert = new Checkpoint(o.codebert);
    codeCapacity = sequenceCapacity(codebert.config);
    const bridge = loadBridge(o.model, lm.config.vocabSize, o.codebert, cacheDir);
    const codePositions = g.input('code_positions', 'int32', ['code_rows']);
    const codeMask = g.input('code_mask', 'int32', ['batch', 'code']);
    const gt = g.input('gt_embedding', 'float32', ['batch', bridgeDim!]);
    // Rows whose code span the length limit cut away have no code positions: they stay out of the loss.
    const rows = ops.cast(ops.greater(ops.reduceSum(codeMask, [1], false), 0), 'float32');
    const code = { codePositions, codeMask };
    // Chunked, the code rows' logits are made from the hidden states a chunk at a time, and each chunk recomputed in the backward pass.
    const soft: ChunkedSoftCode =
      chunkRows !== null
        ? chunkedSoftCodeEmbedding(codebert, bridge, { ...code, hidden: lm.lastHidden, headWeight: lm.headWeight }, { chunkRows, maxRows: o.batchSize * codeCapacity })
        : { embedding: softCodeEmbedding(codebert, bridge, { ...code, logits: lm.logits! }), chunks: [] };
    recompute.push({ policy: 'layer', segments: soft.chunks });
    const sl = g.output(structuralLoss(soft.embedding, gt, rows), 'struct_loss');
    loss = combinedLoss(tl, sl, g.input('alpha', 'float32', []), g.input('beta', 'float32', []));
    fetch.push(sl);
  }
  return { loss, params: modules.flatMap((m) => [m.A, m.B]), modules, fetch, recompute, codeCapacity };
}

async function compile(o: TrainOptions, bridgeDim: number | undefined, cacheDir: string, warn: (message: string) => void): Promise<Compiled> {
  const { loss, params, modules, fetch, recompute, codeCapacity } = buildTrainGraph(o, bridgeDim, cacheDir, warn);
  // No pre-packed weights: a training graph reads each frozen weight in two layouts (forward and
  // backward), so packing holds it twice; a pass multiplies hundreds of rows, so packing per call costs nothing.
  const runner = { provider: o.device, threads: o.threads, memoryArena: o.memoryArena, allowCpuFallback: o.allowCpuFallback, prepackWeights: false };
  const step = await TrainStep.create(loss, params, { ...runner, fetch, recompute });
  const shapes = Object.fromEntries(params.map((p) => [p.name, p.shape as number[]]));
  return { step, params, shapes, modules, codeCapacity };
}

/** Ground-truth CodeBERT embeddings of each example's code, cached on disk. */
async function groundTruth(o: TrainOptions, examples: TokenizedExample[], cacheDir: string) {
  const embedder = await CodeBertEmbedder.load(o.codebert!, { cacheFile: path.join(cacheDir, 'gt-embeddings.jsonl'), threads: o.threads, provider: o.device, allowCpuFallback: o.allowCpuFallback });
  const withCode = examples.filter((e) => e.code);
  const vecs = await embedder.embed(withCode.map((e) => e.code!));
  await embedder.release();
  return { map: new Map(withCode.map((e, i) => [e.id, vecs[i]])), dim: embedder.dim };
}

function makeOptimizer(o: TrainOptions): Optimizer {
  return o.optimizer === 'sgd' ? new SGD({ lr: o.lr, weightDecay: o.weightDecay }) : new AdamW({ lr: o.lr, betas: o.betas, weightDecay: o.weightDecay });
}

/**
 * The step log, kept up to `step` (lines a crashed run wrote after its last checkpoint are redone;
 * a line the crash tore is dropped), opened for appending, and the lines kept.
 */
function openLog(file: string, step: number): { log: JsonlAppender<StepLog>; kept: StepLog[] } {
  const kept: StepLog[] = [];
  if (fs.existsSync(file)) {
    for (const { value } of readJsonl<StepLog>(file)) if (value.step <= step) kept.push(value);
    writeFileDurable(file, kept.map((l) => JSON.stringify(l) + '\n').join(''));
  }
  return { log: new JsonlAppender<StepLog>(file), kept };
}

/** Trainer's log_history entries for a step: the training one, and the evaluation one when there was one. */
const hubLogEntries = (l: StepLog): Record<string, number>[] => [
  { epoch: l.epoch, grad_norm: l.grad_norm, learning_rate: l.learning_rate, loss: l.loss, step: l.step },
  ...(l.eval_loss !== undefined ? [{ epoch: l.epoch, eval_loss: l.eval_loss, step: l.step }] : []),
];

/**
 * The examples, tokenised while the file streams by. Only ids and spans are held (the code text
 * too when the structural loss needs it), so the held size follows the tokens, not the file.
 */
function readExamples(o: TrainOptions, tok: TextTokenizer): { examples: TokenizedExample[]; truncatedAway: number } {
  const examples: TokenizedExample[] = [];
  const pack = idPacker();
  let truncatedAway = 0;
  for (const record of readTrainingRecords(o.data)) {
    const example = tokenize(record, tok, o.maxLength);
    // An example whose target was cut off entirely by maxLength teaches nothing.
    if (example.targetStart === example.ids.length) truncatedAway++;
    else examples.push({ ...example, ids: pack(example.ids), code: o.codebert ? example.code : undefined });
  }
  return { examples, truncatedAway };
}

const isValidation = (id: string, fraction: number) => fraction > 0 && parseInt(hashKey(id).slice(0, 8), 16) / 0xffffffff < fraction;

type RunFeeds = (feeds: Record<string, HostTensor>, alpha: number, beta: number, pass: number) => Promise<StepResult>;

interface Accumulated {
  grads: Params;
  loss: number;
  tokenLoss: number;
  /** Over the rows that kept code; undefined when none did. */
  structLoss?: number;
  tokens: number;
  report: RunReport;
}

/**
 * One optimizer step over its micro-batches, with transformers' (>= 4.46) normalisation under
 * gradient accumulation: the token loss is the sum of every weighted position's NLL over all the
 * micro-batches divided by their total weight (not the mean of per-micro-batch means, which
 * over-weights short batches), and the structural loss the mean over all rows that kept code.
 * Each micro-batch's share enters through the alpha/beta feeds (or scales its gradient when the
 * token loss is the whole loss), so the summed gradients are those of the step's loss.
 */
async function accumulate(micro: Collated[], run: RunFeeds, w: { alpha: number; beta: number; structural: boolean }, firstPass: number): Promise<Accumulated> {
  const weights = micro.map((c) => (c.feeds.loss_weights.data as Float32Array).reduce((a, b) => a + b, 0));
  const total = weights.reduce((a, b) => a + b, 0);
  const rows = w.structural ? micro.reduce((a, c) => a + c.codeRows, 0) : 0;
  const out: Accumulated = { grads: {}, loss: 0, tokenLoss: 0, tokens: 0, report: { ms: 0, rssMiB: 0, peakRssMiB: 0 } };
  let structLoss = 0;
  for (const [k, c] of micro.entries()) {
    const tokenShare = total > 0 ? weights[k] / total : 1 / micro.length;
    const structShare = rows > 0 ? c.codeRows / rows : 0;
    const r = await run(c.feeds, w.alpha * tokenShare, w.beta * structShare, firstPass + k);
    const scale = w.structural ? 1 : tokenShare;
    for (const [n, g] of Object.entries(r.grads)) {
      const sum = (out.grads[n] ??= new Float32Array(g.length));
      for (let i = 0; i < g.length; i++) sum[i] += g[i] * scale;
    }
    out.tokenLoss += Number(r.outputs.token_loss.data[0]) * tokenShare;
    if (r.outputs.struct_loss) structLoss += Number(r.outputs.struct_loss.data[0]) * structShare;
    out.tokens += c.tokens;
    out.report = r.report;
  }
  if (rows > 0) out.structLoss = structLoss;
  out.loss = w.structural ? w.alpha * out.tokenLoss + w.beta * (out.structLoss ?? 0) : out.tokenLoss;
  return out;
}

/**
 * LoRA fine-tuning of a causal LM with loss = alpha * L_token + beta * L_struct. Writes the
 * adapter (PEFT format) to `out`, checkpoints every `checkpointEvery` steps and a JSONL log line
 * per step; with `resume` it continues from the newest checkpoint exactly where it stopped (a
 * damaged one is skipped for the one before it, with a warning).
 */
export async function train(input: TrainOptionsInput, events: TrainEvents = {}): Promise<TrainResult> {
  const o = parseTrainOptions(input);
  ensureDir(o.out);
  const cacheDir = o.cacheDir ?? path.join(o.out, 'cache');
  if (listCheckpoints(o.out).length && !o.resume) throw new Error(`${o.out} already has checkpoints: pass resume (--resume) to continue, or choose another out folder`);
  // Before the data is read: a run with nothing to resume from fails at once.
  const warn = events.onWarning ?? console.warn;
  const resumed = typeof o.resume === 'string' ? { dir: o.resume, snap: loadCheckpoint(o.resume) } : loadNewestCheckpoint(o.out, warn);

  const tok = TextTokenizer.fromDir(o.model);
  const { examples: all, truncatedAway } = readExamples(o, tok);
  if (!all.length) throw new Error(`${o.data}: every example's target lies beyond maxLength ${o.maxLength}`);
  const trainSet = all.filter((e) => !isValidation(e.id, o.valFraction));
  const valSet = all.filter((e) => isValidation(e.id, o.valFraction));
  if (!trainSet.length) throw new Error(`${o.data}: valFraction ${o.valFraction} leaves no training examples`);
  const gt = o.codebert ? await groundTruth(o, all, cacheDir) : undefined;
  const { step, params: paramValues, shapes, modules, codeCapacity } = await compile(o, gt?.dim, cacheDir, warn);

  const optimizer = makeOptimizer(o);
  let params: Params;
  let state: TrainerState;
  if (resumed) {
    params = resumed.snap.params;
    optimizer.load(resumed.snap.optimizer);
    state = resumed.snap.state;
  } else {
    params = initLoraWeights(o.lora, modules, o.seed);
    state = { step: 0, epoch: 0, batchInEpoch: 0, optimizer: { kind: o.optimizer, step: 0 } };
  }
  if (paramValues.some((p) => !params[p.name])) throw new Error(`${resumed?.dir}: the checkpoint's adapter does not match the LoRA settings`);

  const batchesPerEpoch = Math.ceil(trainSet.length / o.batchSize);
  const totalSteps = o.steps ?? Math.max(1, Math.ceil((o.epochs * batchesPerEpoch) / o.gradAccum));
  const { log: stepLog, kept: history } = openLog(path.join(o.out, LOG_FILE), state.step);
  // TensorBoard's tags as transformers' TensorBoardCallback writes them; `wandb sync` reads them too.
  const board = new TensorBoardWriter(path.join(o.out, 'runs'));
  const collateOpts = { padId: tok.padTokenId, groundTruth: gt?.map, dim: gt?.dim, codeCapacity };
  let order = epochBatches(trainSet.map((e) => e.ids.length), o.batchSize, o.seed, state.epoch);
  const nextBatch = (): TokenizedExample[] => {
    if (state.batchInEpoch >= order.length) {
      state.epoch++;
      state.batchInEpoch = 0;
      order = epochBatches(trainSet.map((e) => e.ids.length), o.batchSize, o.seed, state.epoch);
    }
    return order[state.batchInEpoch++].map((i) => trainSet[i]);
  };
  const checkpoint = () => {
    state.optimizer = { kind: o.optimizer, step: optimizer.state().step };
    const hub = {
      epoch: history.at(-1)?.epoch ?? 0,
      max_steps: totalSteps,
      num_train_epochs: Math.ceil(o.epochs),
      logging_steps: 1,
      eval_steps: o.valEvery,
      save_steps: o.checkpointEvery,
      train_batch_size: o.batchSize,
      num_input_tokens_seen: history.reduce((a, l) => a + l.tokens, 0),
      log_history: history.flatMap(hubLogEntries),
    };
    const dir = saveCheckpoint(o.out, { state, params, optimizer: optimizer.state() }, hub, o.lora, shapes, o.keepCheckpoints);
    events.onCheckpoint?.(dir);
  };
  // The masks of a forward pass depend on the run's seed and the pass's index alone, so a resumed
  // run draws the masks the uninterrupted one would have.
  // Validation passes (pass < 0) run without dropout.
  const run: RunFeeds = (feeds, alpha, beta, pass) => {
    const dropout = step.inputNames.includes(DROPOUT_SEED) ? dropoutFeeds(dropoutSeed(o.seed, pass), pass >= 0) : {};
    const all = { ...feeds, ...dropout };
    if (o.codebert) {
      all.alpha = hostTensor('float32', [], [alpha]);
      all.beta = hostTensor('float32', [], [beta]);
    }
    return step.run(params, all);
  };

  let lastLoss = NaN;
  let interrupted = false;
  try {
    while (state.step < totalSteps) {
      if (events.signal?.aborted) {
        interrupted = true;
        break;
      }
      const t0 = performance.now();
      const { alpha, beta } = o.codebert ? lossWeightsAt(state.step, totalSteps, o.schedule) : { alpha: 1, beta: 0 };
      const micro = Array.from({ length: o.gradAccum }, () => collate(nextBatch(), collateOpts));
      const { grads, loss, tokenLoss: tl, structLoss, tokens, report } = await accumulate(micro, run, { alpha, beta, structural: !!o.codebert }, state.step * o.gradAccum);
      if (!Number.isFinite(loss)) {
        throw new Error(`non-finite loss at step ${state.step + 1} (lr ${o.lr}); the last checkpoint is intact — lower --lr or check the data`);
      }
      const gradNorm = o.maxGradNorm ? clipGlobalNorm(grads, o.maxGradNorm) : NaN;
      const lr = learningRate(state.step, totalSteps, o.lr, o.warmupSteps, o.decay);
      optimizer.step(params, grads, lr);
      state.step++;
      lastLoss = loss;
      const ms = performance.now() - t0;
      const log: StepLog = {
        step: state.step,
        epoch: state.epoch + state.batchInEpoch / order.length,
        loss,
        token_loss: tl,
        ...(structLoss !== undefined ? { struct_loss: structLoss } : {}),
        alpha,
        beta,
        learning_rate: lr,
        grad_norm: gradNorm,
        tokens,
        tokens_per_s: (tokens / ms) * 1000,
        step_ms: ms,
        rss_mib: report.rssMiB,
        peak_rss_mib: report.peakRssMiB,
      };
      if (valSet.length && (state.step % o.valEvery === 0 || state.step === totalSteps)) {
        let sum = 0;
        for (let b = 0; b < valSet.length; b += o.batchSize) {
          const batch = valSet.slice(b, b + o.batchSize);
          sum += (await run(collate(batch, collateOpts).feeds, alpha, beta, -1)).loss * batch.length;
        }
        log.eval_loss = sum / valSet.length;
      }
      stepLog.append(log);
      history.push(log);
      board.scalars(log.step, { 'train/loss': log.loss, 'train/token_loss': log.token_loss, 'train/struct_loss': log.struct_loss, 'train/learning_rate': lr, 'train/grad_norm': gradNorm, 'train/epoch': log.epoch, 'eval/loss': log.eval_loss });
      events.onStep?.(log, totalSteps);
      if (state.step % o.checkpointEvery === 0 && state.step < totalSteps) checkpoint();
    }
    if (interrupted || state.step === totalSteps) checkpoint();
    if (!interrupted) saveAdapter(o.out, { config: { ...o.lora, base_model_name_or_path: o.model }, weights: params, shapes });
  } finally {
    await step.release();
  }
  return { steps: state.step, truncatedAway, totalSteps, interrupted, adapterDir: o.out, lastLoss };
}
