import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ensureDir } from '@codistill/util';
import { AdamW, clipGlobalNorm, DROPOUT_SEED, dropoutFeeds, dropoutSeed, GradScaler, hostTensor, LOSS_SCALE, requireProvider, SGD, type HostTensor, type Int8ProductReport, type Optimizer, type Params } from '@codistill/graph';
import { initLoraWeights, saveAdapter } from '@codistill/lora';
import { lossWeightsAt, ScheduleConfig } from '@codistill/losses';
import { accumulate, type RunStep } from './accumulate.js';
import { epochBatches } from './batching.js';
import { listCheckpoints, loadCheckpoint, loadNewestCheckpoint, saveCheckpoint, type Snapshot, type TrainerState } from './checkpoint.js';
import { collate, LOSS_ROWS, type CollateOptions } from './collate.js';
import type { TokenizedExample } from './data.js';
import { loadExamples } from './examples.js';
import { checkLoraTargets, modelModules } from './lora-targets.js';
import { learningRate } from './lr-schedule.js';
import { parseTrainOptions, type TrainOptions, type TrainOptionsInput } from './options.js';
import { runSettings, warnChangedSettings } from './run-settings.js';
import { adoptSettings, startAdapter, startParams, type StartAdapter } from './start-adapter.js';
import { hubTrainerState, LOG_FILE, openLog, type StepLog } from './step-log.js';
import { TensorBoardWriter } from './tensorboard.js';
import { compileStep, EvalLoss, type CompiledStep } from './train-graph.js';

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
  /** Examples left out because max_length cut off their whole target. */
  truncatedAway: number;
  totalSteps: number;
  interrupted: boolean;
  adapterDir: string;
  lastLoss: number;
  /** With load_in_8bit: the products computed in 8-bit integers, the weights quantised now or read from the cache, and those held in 8 bits only. */
  int8Products?: Int8ProductReport;
}

/**
 * The checkpoint a run continues from, if any; an output folder with checkpoints and no resume is
 * refused, and so is one that would overwrite the start adapter.
 */
function resumePoint(o: TrainOptions, warn: (message: string) => void): { dir: string; snap: Snapshot } | undefined {
  const resume = o.resume_from_checkpoint;
  if (!resume && o.adapter_name_or_path && path.resolve(o.adapter_name_or_path) === path.resolve(o.output_dir)) {
    throw new Error(`output_dir: ${o.output_dir} holds the start adapter (adapter_name_or_path), which training would overwrite; choose another output_dir`);
  }
  const found = listCheckpoints(o.output_dir).length > 0;
  if (found && !resume) throw new Error(`${o.output_dir} already has checkpoints: pass resume_from_checkpoint (--resume_from_checkpoint) to continue, or choose another output_dir`);
  // As transformers' Trainer: a resume that finds nothing to resume is an error, not a new run.
  if (resume === true && !found) throw new Error(`resume_from_checkpoint: ${o.output_dir} has no checkpoint-N folder to resume from; leave it out to start a new run`);
  if (typeof resume === 'string' && !fs.existsSync(resume)) throw new Error(`resume_from_checkpoint: ${resume} does not exist`);
  ensureDir(o.output_dir);
  if (typeof resume === 'string') return { dir: resume, snap: loadCheckpoint(resume) };
  return resume ? loadNewestCheckpoint(o.output_dir, warn) : undefined;
}

function makeOptimizer(o: TrainOptions): Optimizer {
  if (o.optim === 'sgd') return new SGD({ lr: o.learning_rate, weightDecay: o.weight_decay });
  return new AdamW({ lr: o.learning_rate, betas: [o.adam_beta1, o.adam_beta2], eps: o.adam_epsilon, weightDecay: o.weight_decay });
}

/**
 * Where the run starts: the resumed checkpoint's weights, optimizer and position; else step 0 with
 * a fresh optimizer and the start adapter's weights, or new LoRA weights.
 */
function startFrom(o: TrainOptions, resumed: { dir: string; snap: Snapshot } | undefined, start: StartAdapter | undefined, compiled: CompiledStep, optimizer: Optimizer): { params: Params; state: TrainerState } {
  const params = start ? startParams(start, compiled.shapes) : initLoraWeights(o.lora, compiled.modules, o.seed);
  const startAdapter = start?.startedFrom ?? null;
  if (!resumed) return { params, state: { step: 0, epoch: 0, batchInEpoch: 0, optimizer: { kind: optimizer.state().kind, step: 0 }, startAdapter } };
  optimizer.load(resumed.snap.optimizer);
  return { params, state: { ...resumed.snap.state, startAdapter } };
}

/** A float16 step's loss scale, continuing the resumed run's (torch's GradScaler defaults, as Trainer with fp16). */
function gradScaler(compiled: CompiledStep, state: TrainerState): GradScaler | undefined {
  if (!compiled.step.inputNames.includes(LOSS_SCALE)) return undefined;
  const scaler = new GradScaler();
  if (state.gradScaler) scaler.load(state.gradScaler);
  return scaler;
}

/** Below this the loss scale gives up, as DeepSpeed's min_loss_scale: gradients that overflow unscaled come from the forward pass. */
const MIN_LOSS_SCALE = 1;

/**
 * Says that a float16 step was skipped (as torch's GradScaler skips it, silently); stops the run
 * when the scale has fallen below MIN_LOSS_SCALE, where halving it further cannot help.
 */
function overflowed(step: number, was: number, now: number, warn: (message: string) => void): void {
  if (now < MIN_LOSS_SCALE) {
    throw new Error(
      `step ${step}: the float16 gradients overflow even at loss scale ${was}: the forward pass itself leaves float16's range (lower --learning_rate, check the data) or train in bf16 (--bf16, cuda) or float32; the last checkpoint is intact`,
    );
  }
  warn(`step ${step}: the float16 gradients overflowed at loss scale ${was}: the step is skipped and the scale is now ${now} (torch's GradScaler does the same)`);
}

/** The LoRA settings the caller gave (not left to their defaults). */
const givenLoraSettings = (input: TrainOptionsInput): Set<string> => new Set(Object.entries(input.lora ?? {}).flatMap(([key, value]) => (value === undefined ? [] : [key])));

/** The training examples in batches, each epoch in its seeded order, continuing from `state`. */
function batchStream(examples: TokenizedExample[], o: TrainOptions, state: TrainerState) {
  const orderOf = (epoch: number) => epochBatches(examples.map((e) => e.ids.length), o.per_device_train_batch_size, o.seed, epoch);
  let order = orderOf(state.epoch);
  return {
    next(): TokenizedExample[] {
      if (state.batchInEpoch >= order.length) {
        state.epoch++;
        state.batchInEpoch = 0;
        order = orderOf(state.epoch);
      }
      return order[state.batchInEpoch++].map((i) => examples[i]);
    },
    /** Fractional, as Trainer logs it. */
    epoch: () => state.epoch + state.batchInEpoch / order.length,
  };
}

/**
 * The held-out examples' losses as the log names them (eval_loss, eval_token_loss, eval_struct_loss),
 * weighted by example, without dropout (see EvalLoss).
 */
async function heldOutLosses(scorer: EvalLoss, held: TokenizedExample[], o: TrainOptions, collateOpts: CollateOptions, params: Params, extra: Record<string, HostTensor>): Promise<Partial<StepLog>> {
  const sums: Record<string, number> = {};
  for (let b = 0; b < held.length; b += o.per_device_train_batch_size) {
    const batch = held.slice(b, b + o.per_device_train_batch_size);
    const losses = await scorer.run(params, { ...collate(batch, collateOpts).feeds, ...extra });
    for (const [name, value] of Object.entries(losses)) sums[`eval_${name}`] = (sums[`eval_${name}`] ?? 0) + value * batch.length;
  }
  return Object.fromEntries(Object.entries(sums).map(([name, sum]) => [name, sum / held.length]));
}

/** The curriculum when none is given: what the structural loss's settings change from. */
const DEFAULT_ALPHA_SCHEDULE = ScheduleConfig.parse({});

/** The curriculum's loss weights as feeds (the graph has them only with the structural loss). */
const weightFeeds = (o: TrainOptions, alpha: number, beta: number): Record<string, HostTensor> => (o.codebert ? { alpha: hostTensor('float32', [], [alpha]), beta: hostTensor('float32', [], [beta]) } : {});

/**
 * LoRA fine-tuning of a causal LM with loss = alpha * L_token + beta * L_struct. Writes the
 * adapter (PEFT format) to `output_dir`, checkpoints every `save_steps` steps and a JSONL log line
 * per step; with `resume_from_checkpoint` it continues exactly where it stopped (a damaged
 * checkpoint is skipped for the one before it, with a warning). `adapter_name_or_path` starts
 * from a saved adapter instead of new LoRA weights (a resumed run continues from its checkpoint).
 */
export async function train(input: TrainOptionsInput, events: TrainEvents = {}): Promise<TrainResult> {
  const o = parseTrainOptions(input);
  const modules = modelModules(o);
  checkLoraTargets(o, modules); // before the output folder is made
  await requireProvider(o.device, 'device (--device)'); // likewise, and before the data is read or the model built
  const warn = events.onWarning ?? console.warn;
  if (!o.codebert && !isDeepStrictEqual(o.alpha_schedule, DEFAULT_ALPHA_SCHEDULE)) warn('alpha_schedule (--alpha_schedule, --alpha_start, --alpha_end, ...) has no effect without codebert (--codebert): the loss is the token loss alone');
  const cacheDir = o.cache_dir ?? path.join(o.output_dir, 'cache');
  // Before the data is read: a run with nothing to resume from, or a start adapter that cannot be read, fails at once.
  const resumed = resumePoint(o, warn);
  const start = startAdapter(o, resumed);
  if (start) {
    adoptSettings(o, start, givenLoraSettings(input));
    checkLoraTargets(o, modules); // the adapter's own targets, which another model may not have
  }
  const data = await loadExamples(o, cacheDir);
  const compiled = await compileStep(o, data.groundTruth?.dim, cacheDir, warn);
  // The step's graph has said what it had to (a 16-bit dtype on the CPU); the same graph without dropout need not say it again.
  const scorer = !data.held.length ? undefined : o.eval_forward_only ? await EvalLoss.create(o, data.groundTruth?.dim, cacheDir, () => undefined) : EvalLoss.onStep(compiled.step);
  const optimizer = makeOptimizer(o);
  const { params, state } = startFrom(o, resumed, start, compiled, optimizer);
  const settings = runSettings(o);
  if (resumed) warnChangedSettings(resumed.snap.state.settings, settings, { dir: resumed.dir, step: state.step }, warn);
  state.settings = settings;
  const scaler = gradScaler(compiled, state);

  const batchesPerEpoch = Math.ceil(data.train.length / o.per_device_train_batch_size);
  const totalSteps = o.max_steps > 0 ? o.max_steps : Math.max(1, Math.ceil((o.num_train_epochs * batchesPerEpoch) / o.gradient_accumulation_steps));
  const { log: stepLog, kept: history } = openLog(path.join(o.output_dir, LOG_FILE), state.step);
  // TensorBoard's tags as transformers' TensorBoardCallback writes them; `wandb sync` reads them too.
  const board = new TensorBoardWriter(path.join(o.output_dir, 'runs'));
  const collateOpts = { padId: data.tokenizer.padTokenId, lossRows: compiled.step.inputNames.includes(LOSS_ROWS), groundTruth: data.groundTruth?.map, dim: data.groundTruth?.dim, codeCapacity: compiled.codeCapacity };
  const batches = batchStream(data.train, o, state);
  const checkpoint = () => {
    // One copy of the optimizer's moments: state() copies them.
    const moments = optimizer.state();
    state.optimizer = { kind: moments.kind, step: moments.step };
    // A run resumed in another dtype keeps no stale scale for a later float16 resume.
    state.gradScaler = scaler?.state();
    const dir = saveCheckpoint(o.output_dir, { state, adapter: { config: o.lora, weights: params, shapes: compiled.shapes }, optimizer: moments }, hubTrainerState(o, history, totalSteps, batchesPerEpoch), o.save_total_limit ?? Infinity);
    events.onCheckpoint?.(dir);
  };
  // The masks of a forward pass depend on the run's seed and the pass's index alone, so a resumed
  // run draws the masks the uninterrupted one would have.
  const run: RunStep = (feeds, alpha, beta, pass) => {
    const dropout = compiled.step.inputNames.includes(DROPOUT_SEED) ? dropoutFeeds(dropoutSeed(o.seed, pass), true) : {};
    return compiled.step.run(params, { ...feeds, ...dropout, ...scaler?.feeds(), ...weightFeeds(o, alpha, beta) });
  };

  // A run resumed at its end (killed after its last checkpoint) reports the loss its log ends with.
  let lastLoss = history.at(-1)?.loss ?? NaN;
  let interrupted = false;
  try {
    while (state.step < totalSteps) {
      if (events.signal?.aborted) {
        interrupted = true;
        break;
      }
      const t0 = performance.now();
      const { alpha, beta } = o.codebert ? lossWeightsAt(state.step, totalSteps, o.alpha_schedule) : { alpha: 1, beta: 0 };
      const micro = Array.from({ length: o.gradient_accumulation_steps }, () => collate(batches.next(), collateOpts));
      const acc = await accumulate(micro, run, { alpha, beta, structural: !!o.codebert }, state.step * o.gradient_accumulation_steps);
      if (!Number.isFinite(acc.loss)) {
        throw new Error(`non-finite loss at step ${state.step + 1} (learning_rate ${o.learning_rate}); the last checkpoint is intact — lower --learning_rate or check the data`);
      }
      const lossScale = scaler?.scale;
      const finite = scaler?.unscale(acc.grads) ?? true;
      const gradNorm = o.max_grad_norm > 0 ? clipGlobalNorm(acc.grads, o.max_grad_norm) : NaN;
      // The schedule follows the updates applied: a skipped step leaves it where it is, as Trainer's scheduler.
      const lr = learningRate(optimizer.steps, totalSteps, o.learning_rate, o.warmup_steps, o.lr_scheduler_type);
      if (finite) optimizer.step(params, acc.grads, lr);
      scaler?.update(finite);
      if (scaler && !finite) overflowed(state.step + 1, lossScale!, scaler.scale, warn);
      state.step++;
      lastLoss = acc.loss;
      const ms = performance.now() - t0;
      const log: StepLog = {
        step: state.step,
        epoch: batches.epoch(),
        loss: acc.loss,
        token_loss: acc.tokenLoss,
        ...(acc.structLoss !== undefined ? { struct_loss: acc.structLoss } : {}),
        alpha,
        beta,
        learning_rate: lr,
        grad_norm: gradNorm,
        tokens: acc.tokens,
        tokens_per_s: (acc.tokens / ms) * 1000,
        step_ms: ms,
        rss_mib: acc.report.rssMiB,
        peak_rss_mib: acc.report.peakRssMiB,
        ...(lossScale !== undefined ? { loss_scale: lossScale, ...(finite ? {} : { skipped: true }) } : {}),
      };
      if (scorer && (state.step % o.eval_steps === 0 || state.step === totalSteps)) Object.assign(log, await heldOutLosses(scorer, data.held, o, collateOpts, params, weightFeeds(o, alpha, beta)));
      stepLog.append(log);
      history.push(log);
      board.scalars(log.step, {
        'train/loss': log.loss,
        'train/token_loss': log.token_loss,
        'train/struct_loss': log.struct_loss,
        'train/alpha': log.alpha,
        'train/beta': log.beta,
        'train/learning_rate': lr,
        'train/grad_norm': gradNorm,
        'train/loss_scale': log.loss_scale,
        'train/epoch': log.epoch,
        'eval/loss': log.eval_loss,
        'eval/token_loss': log.eval_token_loss,
        'eval/struct_loss': log.eval_struct_loss,
      });
      events.onStep?.(log, totalSteps);
      if (state.step % o.save_steps === 0 && state.step < totalSteps) checkpoint();
    }
    if (interrupted || state.step === totalSteps) checkpoint();
    if (!interrupted) saveAdapter(o.output_dir, { config: { ...o.lora, base_model_name_or_path: o.model_name_or_path }, weights: params, shapes: compiled.shapes });
  } finally {
    await compiled.step.release();
    await scorer?.release();
  }
  return { steps: state.step, truncatedAway: data.truncatedAway, totalSteps, interrupted, adapterDir: o.output_dir, lastLoss, ...(compiled.step.int8 ? { int8Products: compiled.step.int8 } : {}) };
}
