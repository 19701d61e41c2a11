import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { GradScalerState, HostTensor, OptimizerState } from '@codistill/graph';
import { describeIssues, readJsonFile, syncDir, writeJsonDurable } from '@codistill/util';
import { loadSafetensors, writeSafetensors } from '@codistill/models';
import { loadAdapter, saveAdapter, type Adapter } from '@codistill/lora';
import type { RunSettings } from './run-settings.js';

/** Where a run is: enough to continue it exactly (codistill_state.json). */
export interface TrainerState {
  step: number;
  epoch: number;
  /** Index of the next batch within the epoch's (seeded) batch order. */
  batchInEpoch: number;
  optimizer: { kind: OptimizerState['kind']; step: number };
  /**
   * The adapter_name_or_path the run started from, null for new LoRA weights; absent in
   * checkpoints written before it was recorded.
   */
  startAdapter?: string | null;
  /** The settings the run trained with up to here (run-settings.ts); absent in checkpoints written before they were recorded. */
  settings?: RunSettings;
  /** The loss scale of a float16 run (GradScaler's state); absent for the other dtypes. */
  gradScaler?: GradScalerState;
}

const count = z.number().int().min(0);
const TrainerStateFile = z.object({
  step: count,
  epoch: count,
  batchInEpoch: count,
  optimizer: z.object({ kind: z.enum(['adamw', 'sgd']), step: count }),
  startAdapter: z.string().nullable().optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
  gradScaler: z.object({ scale: z.number().positive(), growth_tracker: count }).optional(),
}) satisfies z.ZodType<TrainerState>;

export interface Snapshot {
  state: TrainerState;
  /** The LoRA weights, with the settings and shapes they are saved with. */
  adapter: Adapter;
  optimizer: OptimizerState;
}

/**
 * What Hugging Face Trainer's trainer_state.json says of the run, in its schema (transformers >=
 * 4.46's TrainerState fields only, so `TrainerState.load_from_json` reads it): written beside
 * codistill's own state, never read back.
 */
export interface HubTrainerState {
  /** Fractional epoch. */
  epoch: number;
  max_steps: number;
  num_train_epochs: number;
  logging_steps: number;
  eval_steps: number;
  save_steps: number;
  train_batch_size: number;
  num_input_tokens_seen: number;
  log_history: Record<string, number>[];
}

export const STATE_FILE = 'codistill_state.json';
const HUB_STATE_FILE = 'trainer_state.json';
const OPTIMIZER_FILE = 'optimizer.safetensors';
const CHECKPOINT_DIR = /^checkpoint-(\d+)$/;

/** Hugging Face Trainer's layout: <out>/checkpoint-<global step>. */
const stepDir = (out: string, step: number) => path.join(out, `checkpoint-${step}`);

function hubState(step: number, hub: HubTrainerState) {
  return {
    ...hub,
    global_step: step,
    total_flos: 0,
    best_metric: null,
    best_model_checkpoint: null,
    is_local_process_zero: true,
    is_world_process_zero: true,
    is_hyper_param_search: false,
    trial_name: null,
    trial_params: null,
    stateful_callbacks: {},
  };
}

/**
 * Write a checkpoint (adapter in PEFT format, optimizer buffers, trainer state) into a temporary
 * folder, each file durably and each safetensors header checked against its file's size, then
 * rename it into place, so a crash or a full disk never leaves a half checkpoint. Only then are the
 * checkpoints beyond `keep` removed: a resume always has a whole one to fall back to.
 */
export function saveCheckpoint(out: string, snap: Snapshot, hub: HubTrainerState, keep: number): string {
  const dir = stepDir(out, snap.state.step);
  const tmp = `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const buffers: Record<string, HostTensor> = {};
  for (const [name, bufs] of Object.entries(snap.optimizer.buffers)) {
    bufs.forEach((b, i) => (buffers[`${name}::${i}`] = { dtype: 'float32', dims: [b.length], data: b }));
  }
  try {
    saveAdapter(tmp, snap.adapter);
    writeSafetensors(path.join(tmp, OPTIMIZER_FILE), buffers);
    writeJsonDurable(path.join(tmp, STATE_FILE), snap.state);
    writeJsonDurable(path.join(tmp, HUB_STATE_FILE), hubState(snap.state.step, hub));
  } catch (error) {
    fs.rmSync(tmp, { recursive: true, force: true }); // on a full disk, give the space back
    throw error;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  syncDir(path.dirname(dir));
  for (const old of listCheckpoints(out).slice(0, -keep)) fs.rmSync(old, { recursive: true, force: true });
  return dir;
}

/** Checkpoint folders, oldest first, damaged ones included (loadNewestCheckpoint tells them apart). */
export function listCheckpoints(out: string): string[] {
  if (!fs.existsSync(out)) return [];
  const step = (d: string) => Number(CHECKPOINT_DIR.exec(d)![1]);
  return fs
    .readdirSync(out)
    .filter((d) => CHECKPOINT_DIR.test(d) && fs.statSync(path.join(out, d)).isDirectory())
    .sort((a, b) => step(a) - step(b))
    .map((d) => path.join(out, d));
}

/** A checkpoint, checked whole: a missing, torn or truncated file is an error naming it. */
export function loadCheckpoint(dir: string): Snapshot {
  const stateFile = path.join(dir, STATE_FILE);
  const parsed = TrainerStateFile.safeParse(readJsonFile(stateFile));
  if (!parsed.success) throw new Error(`${stateFile}: ${describeIssues(parsed.error.issues)}`);
  const state = parsed.data;
  const adapter = loadAdapter(dir);
  const optimizerFile = path.join(dir, OPTIMIZER_FILE);
  if (!fs.existsSync(optimizerFile)) throw new Error(`${dir}: no ${OPTIMIZER_FILE}`);
  const buffers: Record<string, Float32Array[]> = {};
  for (const [key, t] of Object.entries(loadSafetensors(optimizerFile))) {
    const [name, i] = key.split('::');
    (buffers[name] ??= [])[Number(i)] = t.data as Float32Array;
  }
  return { state, adapter, optimizer: { kind: state.optimizer.kind, step: state.optimizer.step, buffers } };
}

/**
 * The newest checkpoint in `out` that loads, or undefined when there is none. A damaged newer one
 * (cut short by a full disk or a crash before writes were checked, a torn state file) is skipped
 * with a warning naming it and why, and moved to `<dir>.damaged`: it is kept for a look, but
 * neither resumed from nor counted among the kept checkpoints again. When none loads, the error
 * lists each one with its fault and nothing is moved.
 */
export function loadNewestCheckpoint(out: string, warn: (message: string) => void): { dir: string; snap: Snapshot } | undefined {
  const checkpoints = listCheckpoints(out);
  const damaged: { dir: string; reason: string }[] = [];
  for (const dir of checkpoints.reverse()) {
    let snap: Snapshot;
    try {
      snap = loadCheckpoint(dir);
    } catch (error) {
      damaged.push({ dir, reason: (error as Error).message });
      continue;
    }
    for (const d of damaged) {
      fs.rmSync(`${d.dir}.damaged`, { recursive: true, force: true });
      fs.renameSync(d.dir, `${d.dir}.damaged`);
      warn(`skipping damaged checkpoint ${d.dir} (${d.reason}); resuming from ${dir}; the damaged one is now ${d.dir}.damaged`);
    }
    return { dir, snap };
  }
  if (!damaged.length) return undefined;
  throw new Error(`${out}: no usable checkpoint to resume from:\n${damaged.map((d) => `  ${d.dir}: ${d.reason}`).join('\n')}\nstart again in another out folder, or remove its checkpoint-* folders`);
}
