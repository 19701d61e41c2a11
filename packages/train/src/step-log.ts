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
  eval_loss?: number;
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

/** Trainer's log_history entries for a step: the training one, and the evaluation one when there was one. */
const hubLogEntries = (l: StepLog): Record<string, number>[] => [
  { epoch: l.epoch, grad_norm: l.grad_norm, learning_rate: l.learning_rate, loss: l.loss, step: l.step },
  ...(l.eval_loss !== undefined ? [{ epoch: l.epoch, eval_loss: l.eval_loss, step: l.step }] : []),
];

/** The run as Trainer's trainer_state.json describes it, from the settings and the log so far. */
export function hubTrainerState(o: TrainOptions, history: StepLog[], maxSteps: number): HubTrainerState {
  return {
    epoch: history.at(-1)?.epoch ?? 0,
    max_steps: maxSteps,
    num_train_epochs: Math.ceil(o.num_train_epochs),
    logging_steps: 1,
    eval_steps: o.eval_steps,
    save_steps: o.save_steps,
    train_batch_size: o.per_device_train_batch_size,
    num_input_tokens_seen: history.reduce((a, l) => a + l.tokens, 0),
    log_history: history.flatMap(hubLogEntries),
  };
}
