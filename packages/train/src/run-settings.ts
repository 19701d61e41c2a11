import { isDeepStrictEqual } from 'node:util';
import { trainFlagName, type TrainOptions } from './options.js';

/**
 * The settings that decide what a run computes from one step to the next (its data, order,
 * schedules and losses), recorded in each checkpoint. The others change how it computes (device,
 * memory savers, threads) or what it writes (save_steps, eval_steps), not the weights it reaches;
 * the LoRA settings are compared on their own (start-adapter.ts), as a change there is refused.
 */
const TRAJECTORY = [
  'model_name_or_path',
  'model_revision',
  'train_file',
  'optim',
  'learning_rate',
  'weight_decay',
  'adam_beta1',
  'adam_beta2',
  'adam_epsilon',
  'lr_scheduler_type',
  'warmup_steps',
  'max_steps',
  'num_train_epochs',
  'per_device_train_batch_size',
  'gradient_accumulation_steps',
  'max_grad_norm',
  'max_length',
  'seed',
  'codebert',
  'codebert_revision',
  'alpha_schedule',
  'val_fraction',
  'bf16',
  'fp16',
  'load_in_8bit',
] as const satisfies readonly (keyof TrainOptions)[];

export type RunSettings = Partial<Record<(typeof TRAJECTORY)[number], unknown>>;

export const runSettings = (o: TrainOptions): RunSettings => Object.fromEntries(TRAJECTORY.map((key) => [key, o[key]]));

/** A setting's name and flag; the curriculum's fields one by one (alpha_schedule.end is --alpha_end). */
function entries(settings: RunSettings): [string, string, unknown][] {
  return Object.entries(settings).flatMap(([key, value]): [string, string, unknown][] =>
    key === 'alpha_schedule' && value && typeof value === 'object'
      ? Object.entries(value).map(([field, v]) => [`alpha_schedule.${field}`, `--${trainFlagName(['alpha_schedule', field])}`, v])
      : [[key, `--${key}`, value]],
  );
}

/**
 * Warns, setting by setting, where a resumed run differs from the one its checkpoint stopped
 * (Trainer warns of a changed batch size alone): it still runs, as extending max_steps or lowering
 * the learning rate can be meant, but it no longer ends where the uninterrupted run would have.
 * Checkpoints written before settings were recorded have none to compare.
 */
export function warnChangedSettings(saved: RunSettings | undefined, now: RunSettings, at: { dir: string; step: number }, warn: (message: string) => void): void {
  if (!saved) return;
  const before = new Map(entries(saved).map(([name, , value]) => [name, value]));
  const changed = entries(now).filter(([name, , value]) => before.has(name) && !isDeepStrictEqual(before.get(name), value));
  if (!changed.length) return;
  const list = changed.map(([name, flag, value]) => `${name} (${flag}) ${JSON.stringify(before.get(name))} -> ${JSON.stringify(value)}`).join('; ');
  warn(`resume_from_checkpoint: ${at.dir} was trained with other settings: ${list}; steps after ${at.step} use the new ones, so the run will not end where the uninterrupted one would have`);
}
