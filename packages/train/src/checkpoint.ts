import fs from 'node:fs';
import path from 'node:path';
import type { HostTensor, OptimizerState, Params } from '@codistill/graph';
import { loadSafetensors, writeSafetensors } from '@codistill/models';
import { loadAdapter, saveAdapter, type LoraConfig } from '@codistill/lora';

/** Where a run is: enough to continue it exactly. */
export interface TrainerState {
  step: number;
  epoch: number;
  /** Index of the next batch within the epoch's (seeded) batch order. */
  batchInEpoch: number;
  optimizer: { kind: OptimizerState['kind']; step: number };
}

export interface Snapshot {
  state: TrainerState;
  params: Params;
  optimizer: OptimizerState;
}

const stepDir = (out: string, step: number) => path.join(out, 'checkpoints', `step-${String(step).padStart(7, '0')}`);

/**
 * Write a checkpoint (adapter in PEFT format, optimizer buffers, trainer state) into a temporary
 * folder and rename it into place, so a crash mid-write never leaves a half checkpoint. Older
 * checkpoints beyond `keep` are removed.
 */
export function saveCheckpoint(out: string, snap: Snapshot, config: LoraConfig, shapes: Record<string, number[]>, keep: number): string {
  const dir = stepDir(out, snap.state.step);
  const tmp = `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  saveAdapter(tmp, { config, weights: snap.params, shapes });
  const buffers: Record<string, HostTensor> = {};
  for (const [name, bufs] of Object.entries(snap.optimizer.buffers)) {
    bufs.forEach((b, i) => (buffers[`${name}::${i}`] = { dtype: 'float32', dims: [b.length], data: b }));
  }
  writeSafetensors(path.join(tmp, 'optimizer.safetensors'), buffers);
  fs.writeFileSync(path.join(tmp, 'trainer_state.json'), JSON.stringify(snap.state, null, 2) + '\n');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  for (const old of listCheckpoints(out).slice(0, -keep)) fs.rmSync(old, { recursive: true, force: true });
  return dir;
}

/** Complete checkpoint folders, oldest first. */
export function listCheckpoints(out: string): string[] {
  const root = path.join(out, 'checkpoints');
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((d) => /^step-\d+$/.test(d) && fs.existsSync(path.join(root, d, 'trainer_state.json')))
    .sort()
    .map((d) => path.join(root, d));
}

export function loadCheckpoint(dir: string): Snapshot {
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'trainer_state.json'), 'utf8')) as TrainerState;
  const { weights } = loadAdapter(dir);
  const buffers: Record<string, Float32Array[]> = {};
  for (const [key, t] of Object.entries(loadSafetensors(path.join(dir, 'optimizer.safetensors')))) {
    const [name, i] = key.split('::');
    (buffers[name] ??= [])[Number(i)] = t.data as Float32Array;
  }
  return { state, params: weights, optimizer: { kind: state.optimizer.kind, step: state.optimizer.step, buffers } };
}
