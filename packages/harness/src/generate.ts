import { existsSync } from 'node:fs';
import { JsonlAppender, lockFile, readJsonl } from '@codistill/util';
import { programFromOutput } from './extract.js';
import { fingerprintOf } from './results.js';
import type { HarnessTask } from './tasks.js';

/** A sample made by `generateSamples`: the model's raw output and the program taken from it. */
export interface GeneratedSample {
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

export interface GenerateSamplesOptions {
  /** JSONL written as samples are made; tasks already in it are not asked again (resume). */
  out?: string;
  /**
   * What makes the samples (model, adapter, decoding settings, prompt style): samples in `out` made
   * with another identity are refused, never reused.
   */
  identity?: unknown;
  /** Checked between tasks: the one being generated finishes and is written, then the call throws the abort reason. */
  signal?: AbortSignal;
  /** After each task, including ones read back from `out`. */
  onSample?: (sample: GeneratedSample, done: number, total: number) => void;
}

function readPrevious(file: string): Map<string, GeneratedSample> {
  const previous = new Map<string, GeneratedSample>();
  if (!existsSync(file)) return previous;
  for (const { value, line } of readJsonl<GeneratedSample>(file)) {
    if (!value || typeof value !== 'object' || typeof value.task_id !== 'string') throw new Error(`${file}:${line}: not a sample record (expected task_id)`);
    previous.set(value.task_id, value);
  }
  return previous;
}

/** One sample per task from the caller's model, in task order, written as it goes. */
export async function generateSamples(tasks: readonly HarnessTask[], complete: CompleteTask, options: GenerateSamplesOptions = {}): Promise<GeneratedSample[]> {
  const lock = options.out ? lockFile(options.out) : undefined;
  try {
    const previous = options.out ? readPrevious(options.out) : new Map<string, GeneratedSample>();
    const fingerprints = tasks.map((task) => fingerprintOf(options.identity ?? null, task.zeroShot));
    tasks.forEach((task, index) => {
      const stored = previous.get(task.taskId);
      if (stored && stored.fingerprint !== fingerprints[index]) {
        throw new Error(`${options.out} holds a sample for ${task.taskId} made by another model, adapter, prompt or settings; write to a new output or delete it to start over`);
      }
    });
    const writer = options.out ? new JsonlAppender<GeneratedSample>(options.out) : undefined;
    const samples: GeneratedSample[] = [];
    for (const [index, task] of tasks.entries()) {
      let sample = previous.get(task.taskId);
      if (!sample) {
        options.signal?.throwIfAborted();
        const output = await complete(task);
        sample = { task_id: task.taskId, solution: programFromOutput(output, task), output, fingerprint: fingerprints[index] };
        writer?.append(sample);
      }
      samples.push(sample);
      options.onSample?.(sample, samples.length, tasks.length);
    }
    return samples;
  } finally {
    lock?.release();
  }
}
