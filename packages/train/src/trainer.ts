import fs from 'node:fs';
import path from 'node:path';
import { ensureDir, JsonlAppender, readJsonl, writeFileDurable } from '@codistill/util';
import { AdamW, clipGlobalNorm, GraphBuilder, hostTensor, ops, SGD, TrainStep, type Optimizer, type Params, type Value } from '@codistill/graph';
import { buildCausalLm, Checkpoint, TextTokenizer } from '@codistill/models';
import { initLoraWeights, loraHook, saveAdapter, targets } from '@codistill/lora';
import { chunkedTokenLoss, combinedLoss, lossWeightsAt, structuralLoss, tokenLoss } from '@codistill/losses';
import { CodeBertEmbedder, hashKey, loadBridge, sequenceCapacity, softCodeEmbedding } from '@codistill/codebert';
import { epochBatches } from './batching.js';
import { listCheckpoints, loadNewestCheckpoint, saveCheckpoint, type TrainerState } from './checkpoint.js';
import { collate } from './collate.js';
import { idPacker, readTrainingRecords, tokenize, type TokenizedExample } from './data.js';
import { learningRate } from './lr-schedule.js';
import { parseTrainOptions, type TrainOptions, type TrainOptionsInput } from './options.js';

export interface StepLog {
  step: number;
  epoch: number;
  loss: number;
  token_loss: number;
  struct_loss?: number;
  alpha: number;
  beta: number;
  lr: number;
  grad_norm: number;
  tokens: number;
  tokens_per_s: number;
  step_ms: number;
  rss_mib: number;
  peak_rss_mib: number;
  val_loss?: number;
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

interface Compiled {
  step: TrainStep;
  params: Value[];
  shapes: Record<string, number[]>;
  modules: ReturnType<typeof loraHook>['modules'];
}

async function compile(o: TrainOptions, bridgeDim: number | undefined, cacheDir: string): Promise<Compiled> {
  const ckpt = new Checkpoint(o.model);
  const { hook, modules } = loraHook(o.lora, { training: true, seed: o.seed });
  const chunkRows = o.chunkedCrossEntropy;
  if (chunkRows !== null && targets(o.lora, 'lm_head')) throw new Error('chunkedCrossEntropy keeps lm_head frozen: drop lm_head from lora.target_modules or set chunkedCrossEntropy to null');
  // Only the structural loss still reads the full logits (at code positions); without it the head is not built.
  const logits = chunkRows !== null && !o.codebert ? 'none' : 'all';
  const lm = buildCausalLm(ckpt, { linear: hook, dtype: o.dtype, graph: new GraphBuilder('codistill-train'), logits });
  const g = lm.graph;
  const labels = g.input('labels', 'int64', ['batch', 'seq']);
  const weights = g.input('loss_weights', 'float32', ['batch', 'seq']);
  const ce =
    chunkRows !== null
      ? chunkedTokenLoss(lm.lastHidden, lm.headWeight, labels, weights, { chunkRows, maxRows: o.batchSize * o.maxLength })
      : tokenLoss(lm.logits!, labels, weights);
  const tl = g.output(ce.loss, 'token_loss');
  let loss = tl;
  const fetch = [tl];
  if (o.codebert) {
    const codebert = new Checkpoint(o.codebert);
    const bridge = loadBridge(o.model, lm.config.vocabSize, o.codebert, cacheDir);
    const codePositions = g.input('code_positions', 'int64', ['code_rows']);
    const codeMask = g.input('code_mask', 'int64', ['batch', 'code']);
    const gt = g.input('gt_embedding', 'float32', ['batch', bridgeDim!]);
    // Rows whose code span the length limit cut away have no code positions: they stay out of the loss.
    const rows = ops.cast(ops.greater(ops.reduceSum(codeMask, [1], false), 0), 'float32');
    const sl = g.output(structuralLoss(softCodeEmbedding(codebert, bridge, { logits: lm.logits!, codePositions, codeMask }), gt, rows), 'struct_loss');
    loss = combinedLoss(tl, sl, g.input('alpha', 'float32', []), g.input('beta', 'float32', []));
    fetch.push(sl);
  }
  const params = modules.flatMap((m) => [m.A, m.B]);
  const step = await TrainStep.create(loss, params, { provider: o.device, threads: o.threads, memoryArena: o.memoryArena, fetch });
  const shapes = Object.fromEntries(params.map((p) => [p.name, p.shape as number[]]));
  return { step, params, shapes, modules };
}

/** Ground-truth CodeBERT embeddings of each example's code, cached on disk. */
async function groundTruth(o: TrainOptions, examples: TokenizedExample[], cacheDir: string) {
  const embedder = await CodeBertEmbedder.load(o.codebert!, { cacheFile: path.join(cacheDir, 'gt-embeddings.jsonl'), threads: o.threads, provider: o.device });
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
 * a line the crash tore is dropped), opened for appending.
 */
function openLog(file: string, step: number): JsonlAppender<StepLog> {
  if (fs.existsSync(file)) {
    const kept = function* () {
      for (const { value } of readJsonl<StepLog>(file)) if (value.step <= step) yield JSON.stringify(value) + '\n';
    };
    writeFileDurable(file, kept());
  }
  return new JsonlAppender<StepLog>(file);
}

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
  const resumed = loadNewestCheckpoint(o.out, events.onWarning ?? console.warn);

  const tok = TextTokenizer.fromDir(o.model);
  const { examples: all, truncatedAway } = readExamples(o, tok);
  if (!all.length) throw new Error(`${o.data}: every example's target lies beyond maxLength ${o.maxLength}`);
  const trainSet = all.filter((e) => !isValidation(e.id, o.valFraction));
  const valSet = all.filter((e) => isValidation(e.id, o.valFraction));
  if (!trainSet.length) throw new Error(`${o.data}: valFraction ${o.valFraction} leaves no training examples`);
  const gt = o.codebert ? await groundTruth(o, all, cacheDir) : undefined;
  const { step, params: paramValues, shapes, modules } = await compile(o, gt?.dim, cacheDir);

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
  const stepLog = openLog(path.join(o.out, LOG_FILE), state.step);
  const codeCapacity = o.codebert ? sequenceCapacity(new Checkpoint(o.codebert).config) : undefined;
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
    const dir = saveCheckpoint(o.out, { state, params, optimizer: optimizer.state() }, o.lora, shapes, o.keepCheckpoints);
    events.onCheckpoint?.(dir);
  };
  const runBatch = async (batch: TokenizedExample[], alpha: number, beta: number) => {
    const { feeds, tokens, codeRows } = collate(batch, collateOpts);
    if (o.codebert) {
      feeds.alpha = hostTensor('float32', [], [alpha]);
      feeds.beta = hostTensor('float32', [], [beta]);
    }
    return { ...(await step.run(params, feeds)), tokens, codeRows };
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
      const grads: Params = Object.fromEntries(Object.entries(params).map(([n, p]) => [n, new Float32Array(p.length)]));
      let loss = 0;
      let tl = 0;
      // Structural loss over the rows that kept code; a step without any logs none.
      let slSum = 0;
      let slRows = 0;
      let tokens = 0;
      let peak = 0;
      let rss = 0;
      for (let micro = 0; micro < o.gradAccum; micro++) {
        const r = await runBatch(nextBatch(), alpha, beta);
        for (const [n, g] of Object.entries(r.grads)) for (let i = 0; i < g.length; i++) grads[n][i] += g[i] / o.gradAccum;
        loss += r.loss / o.gradAccum;
        tl += Number(r.outputs.token_loss.data[0]) / o.gradAccum;
        if (r.outputs.struct_loss) {
          slSum += Number(r.outputs.struct_loss.data[0]) * r.codeRows;
          slRows += r.codeRows;
        }
        tokens += r.tokens;
        rss = r.report.rssMiB;
        peak = r.report.peakRssMiB;
      }
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
        epoch: state.epoch,
        loss,
        token_loss: tl,
        ...(slRows ? { struct_loss: slSum / slRows } : {}),
        alpha,
        beta,
        lr,
        grad_norm: gradNorm,
        tokens,
        tokens_per_s: (tokens / ms) * 1000,
        step_ms: ms,
        rss_mib: rss,
        peak_rss_mib: peak,
      };
      if (valSet.length && (state.step % o.valEvery === 0 || state.step === totalSteps)) {
        let sum = 0;
        for (let b = 0; b < valSet.length; b += o.batchSize) {
          const batch = valSet.slice(b, b + o.batchSize);
          sum += (await runBatch(batch, alpha, beta)).loss * batch.length;
        }
        log.val_loss = sum / valSet.length;
      }
      stepLog.append(log);
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
