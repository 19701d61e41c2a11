import fs from 'node:fs';
import { JsonlAppender, readJsonl, writeFileDurable } from '@codistill/util';
import type { HubTrainerState } from './checkpoint.js';
import type { TrainOptions } from './options.js';

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
  /** float16: the loss scale the step's gradients were computed with (GradScaler). */
  loss_scale?: number;
  /** float16: the gradients overflowed, so the weights were left as they were (and the scale halved). */
  skipped?: boolean;
  /** Held-out losses: the combined one (alpha-weighted with the structural loss, as the step's), and its parts. */
  eval_loss?: number;
  eval_token_loss?: number;
  eval_struct_loss?: number;
}

export const LOG_FILE = 'train_log.jsonl';

/**
 * The step log, kept up to `step` (lines a crashed run wrote after its last checkpoint are redone;
 * a line the crash tore is dropped), opened for appending, and the lines kept.
 */
export function openLog(file: string, step: number): { log: JsonlAppender<StepLog>; kept: StepLog[] } {
  const kept: StepLog[] = [];
  if (fs.existsSync(file)) {
    for (const { value } of readJsonl<StepLog>(file)) if (value.step <= step) kept.push(value);
    writeFileDurable(file, kept.map((l) => JSON.stringify(l) + '\n').join(''));
  }
  return { log: new JsonlAppender<StepLog>(file), kept };
}

/** The held-out loss's parts, as Trainer logs a compute_metrics result beside eval_loss. */
const evalParts = (l: StepLog) => ({ ...(l.eval_token_loss !== undefined ? { eval_token_loss: l.eval_token_loss } : {}), ...(l.eval_struct_loss !== undefined ? { eval_struct_loss: l.eval_struct_loss } : {}) });

/** Trainer's log_history entries for a step: the training one, and the evaluation one when there was one. */
const hubLogEntries = (l: StepLog): Record<string, number>[] => [
  { epoch: l.epoch, grad_norm: l.grad_norm, learning_rate: l.learning_rate, loss: l.loss, step: l.step },
  ...(l.eval_loss !== undefined ? [{ epoch: l.epoch, eval_loss: l.eval_loss, ...evalParts(l), step: l.step }] : []),
];

/**
 * The run as Trainer's trainer_state.json describes it, from the settings and the log so far. With
 * max_steps set, num_train_epochs is the epochs those steps take, as Trainer derives it.
 */
export function hubTrainerState(o: TrainOptions, history: StepLog[], maxSteps: number, batchesPerEpoch: number): HubTrainerState {
  const updatesPerEpoch = Math.max(1, Math.floor(batchesPerEpoch / o.gradient_accumulation_steps));
  return {
    epoch: history.at(-1)?.epoch ?? 0,
    max_steps: maxSteps,
    num_train_epochs: o.max_steps > 0 ? Math.ceil(o.max_steps / updatesPerEpoch) : Math.ceil(o.num_train_epochs),
    logging_steps: 1,
    eval_steps: o.eval_steps,
    save_steps: o.save_steps,
    train_batch_size: o.per_device_train_batch_size,
    num_input_tokens_seen: history.reduce((a, l) => a + l.tokens, 0),
    log_history: history.flatMap(hubLogEntries),
  };
}
