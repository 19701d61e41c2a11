import { existsSync } from 'node:fs';
import { JsonlAppender, lockFile, readJsonl } from '@codistill/util';
import { programFromOutput } from './extract.js';
import { fingerprintOf } from './results.js';
import type { HarnessTask } from './tasks.js';

/** A sample made by `collectSamples`: the model's raw output and the program taken from it. */
export interface CollectedSample {
  task_id: string;
  /** The whole program that is run (see programFromOutput). */
  solution: string;
  /** What the model wrote, before extraction. */
  output: string;
  /** Hash of the model identity and generation settings (`identity`) and the task's prompt. */
  fingerprint: string;
}

/** The caller's model: text for a task (e.g. a completion of `task.zeroShot.completionPrompt`). */
export type CompleteTask = (task: HarnessTask) => Promise<string>;

/** The caller's model asked for up to `batchSize` tasks at once: one text per task, in the order given. */
export interface CompleteBatch {
  batchSize: number;
  complete: (tasks: HarnessTask[]) => Promise<string[]>;
}

export interface CollectSamplesOptions {
  /** JSONL written as samples are made; tasks already in it are not asked again (resume). */
  out?: string;
  /**
   * What makes the samples (model, adapter, decoding settings, prompt style): samples in `out` made
   * with another identity are refused, never reused.
   */
  identity?: unknown;
  /** Checked between batches: the batch in progress finishes and is written, then the call throws the abort reason. */
  signal?: AbortSignal;
  /** After each task: first the ones read back from `out`, then the new ones as their batch finishes. */
  onSample?: (sample: CollectedSample, done: number, total: number) => void;
}

function readPrevious(file: string): Map<string, CollectedSample> {
  const previous = new Map<string, CollectedSample>();
  if (!existsSync(file)) return previous;
  for (const { value, line } of readJsonl<CollectedSample>(file)) {
    if (!value || typeof value !== 'object' || typeof value.task_id !== 'string') throw new Error(`${file}:${line}: not a sample record (expected task_id)`);
    previous.set(value.task_id, value);
  }
  return previous;
}

/**
 * One sample per task from the caller's model, returned in task order. Tasks not yet in `out` are
 * asked for in the order given, `batchSize` at a time (a single-task model is a batch of one), and
 * each batch's samples are appended in that order as soon as it finishes.
 */
export async function collectSamples(
  tasks: readonly HarnessTask[],
  model: CompleteTask | CompleteBatch,
  options: CollectSamplesOptions = {},
): Promise<CollectedSample[]> {
  const { batchSize, complete } = typeof model === 'function' ? { batchSize: 1, complete: async ([task]: HarnessTask[]) => [await model(task)] } : model;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a whole number of at least 1, got ${batchSize}`);
  const lock = options.out ? lockFile(options.out) : undefined;
  try {
    const previous = options.out ? readPrevious(options.out) : new Map<string, CollectedSample>();
    const fingerprints = tasks.map((task) => fingerprintOf(options.identity ?? null, task.zeroShot));
    tasks.forEach((task, index) => {
      const stored = previous.get(task.taskId);
      if (stored && stored.fingerprint !== fingerprints[index]) {
        throw new Error(`${options.out} holds a sample for ${task.taskId} made by another model, adapter, prompt or settings; write to a new output or delete it to start over`);
      }
    });
    const samples: Array<CollectedSample | undefined> = tasks.map((task) => previous.get(task.taskId));
    let done = 0;
    for (const sample of samples) if (sample) options.onSample?.(sample, ++done, tasks.length);
    const pending = [...tasks.keys()].filter((index) => !samples[index]);
    const writer = options.out ? new JsonlAppender<CollectedSample>(options.out) : undefined;
    for (let start = 0; start < pending.length; start += batchSize) {
      options.signal?.throwIfAborted();
      const batch = pending.slice(start, start + batchSize);
      const outputs = await complete(batch.map((index) => tasks[index]));
      if (outputs.length !== batch.length) throw new Error(`the model answered ${outputs.length} texts for a batch of ${batch.length} tasks: expected one per task`);
      batch.forEach((index, i) => {
        const task = tasks[index];
        const sample = { task_id: task.taskId, solution: programFromOutput(outputs[i], task), output: outputs[i], fingerprint: fingerprints[index] };
        writer?.append(sample);
        samples[index] = sample;
        options.onSample?.(sample, ++done, tasks.length);
      });
    }
    return samples as CollectedSample[];
  } finally {
    lock?.release();
  }
}
