import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Params } from '@codistill/graph';
import { ADAPTER_CONFIG, checkAdapterFits, loadAdapter, type Adapter, type LoraConfig } from '@codistill/lora';
import { STATE_FILE, type Snapshot } from './checkpoint.js';
import { trainFlagName, type TrainOptions } from './options.js';

/** Saved weights a run starts from: its resumed checkpoint's, or the adapter `adapter_name_or_path` names. */
export interface StartAdapter {
  adapter: Adapter;
  /** The folder it was read from. */
  dir: string;
  /** The setting that named it, for errors. */
  setting: 'resume_from_checkpoint' | 'adapter_name_or_path';
  /**
   * The adapter the run started from (`adapter_name_or_path`, resolved), whose LoRA settings are
   * the run's; null when it started from new LoRA weights with the settings given.
   */
  startedFrom: string | null;
}

/**
 * The LoRA settings that shape the weights or their updates. Not init_lora_weights (saved weights
 * are not drawn), nor the names written beside them.
 */
const WEIGHT_SETTINGS = ['r', 'lora_alpha', 'lora_dropout', 'target_modules', 'layers_to_transform', 'use_rslora'] as const satisfies readonly (keyof LoraConfig)[];

/**
 * The saved weights the run starts from: its resumed checkpoint's (the adapter it started from is
 * not read again, nor need it be named again), else `adapter_name_or_path`'s. A resume naming an
 * adapter other than the one its run started from is refused: that adapter would not be read.
 */
export function startAdapter(o: TrainOptions, resumed: { dir: string; snap: Snapshot } | undefined): StartAdapter | undefined {
  if (resumed) return { adapter: resumed.snap.adapter, dir: resumed.dir, setting: 'resume_from_checkpoint', startedFrom: resumedStart(o, resumed) };
  const given = o.adapter_name_or_path;
  return given ? { adapter: loadAdapter(given), dir: given, setting: 'adapter_name_or_path', startedFrom: path.resolve(given) } : undefined;
}

/**
 * The adapter a resumed run started from (null: new LoRA weights), as its checkpoint records it;
 * a checkpoint written before that was recorded is taken to say what `adapter_name_or_path` says.
 */
function resumedStart(o: TrainOptions, { dir, snap }: { dir: string; snap: Snapshot }): string | null {
  const recorded = snap.state.startAdapter;
  const given = o.adapter_name_or_path;
  if (recorded === undefined) return given ? path.resolve(given) : null;
  if (given && (recorded === null || path.resolve(given) !== recorded)) {
    throw new Error(
      `adapter_name_or_path: the run in ${dir} started from ${recorded ?? 'new LoRA weights'} (${STATE_FILE}), not ${given}, and a resume reads only the checkpoint's weights; leave adapter_name_or_path out to resume it`,
    );
  }
  return recorded;
}

/**
 * Makes the saved adapter's LoRA settings the run's (`o.lora`), as PEFT's
 * `PeftModel.from_pretrained(model, path, is_trainable=True)` takes the saved config: a setting
 * `given` (present in the run's input) that disagrees is refused, as it could not apply to weights
 * trained with another. A resumed run must be the run it continues, as with Trainer, whose script
 * builds the same model again: every setting is compared with its checkpoint's (one left out is its
 * default), unless the run started from `adapter_name_or_path` (its settings came from that
 * adapter, and are checked as they were then).
 */
export function adoptSettings(o: TrainOptions, start: StartAdapter, given: ReadonlySet<string>): void {
  const saved = start.adapter.config;
  const sameRun = start.setting === 'resume_from_checkpoint' && start.startedFrom === null;
  const clashes = WEIGHT_SETTINGS.filter((key) => (sameRun || given.has(key)) && !isDeepStrictEqual(o.lora[key], saved[key])).map(
    (key) => `lora.${key} (--${trainFlagName(['lora', key])}) is ${JSON.stringify(o.lora[key])} here and ${JSON.stringify(saved[key])} there`,
  );
  if (clashes.length) {
    const fix = sameRun ? 'resume with the settings the run started with' : 'leave them out to train on with the settings it was saved with';
    throw new Error(`${start.setting}: ${path.join(start.dir, ADAPTER_CONFIG)} disagrees with the LoRA settings given (${clashes.join('; ')}); ${fix}`);
  }
  o.lora = { ...o.lora, ...Object.fromEntries(WEIGHT_SETTINGS.map((key) => [key, saved[key]])) };
}

/** The saved weights as the run's parameters: exactly the LoRA tensors the model's graph has, with its shapes. */
export function startParams({ adapter }: StartAdapter, shapes: Record<string, number[]>): Params {
  checkAdapterFits(adapter, shapes);
  return { ...adapter.weights };
}
