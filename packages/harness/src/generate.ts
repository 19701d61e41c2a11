import { programFromOutput } from './extract.js';
import { readRecords, RecordWriter } from './results.js';
import type { HarnessTask } from './tasks.js';

/** A sample made by `generateSamples`: the model's raw output and the program taken from it. */
export interface GeneratedSample {
  task_id: string;
  /** The whole program that is run (see programFromOutput). */
  solution: string;
  /** What the model wrote, before extraction. */
  output: string;
}

/** The caller's model: text for a task (e.g. a completion of `task.zeroShot.completionPrompt`). */
export type CompleteTask = (task: HarnessTask) => Promise<string>;

export interface GenerateSamplesOptions {
  /** JSONL written as samples are made; tasks already in it are not asked again (resume). */
  out?: string;
  /** Checked between tasks: the one being generated finishes and is written, then the call throws the abort reason. */
  signal?: AbortSignal;
  /** After each task, including ones read back from `out`. */
  onSample?: (sample: GeneratedSample, done: number, total: number) => void;
}

/** One sample per task from the caller's model, in task order, written as it goes. */
export async function generateSamples(tasks: readonly HarnessTask[], complete: CompleteTask, options: GenerateSamplesOptions = {}): Promise<GeneratedSample[]> {
  const previous = new Map(options.out ? readRecords<GeneratedSample>(options.out).map((s) => [s.task_id, s]) : []);
  const writer = options.out ? new RecordWriter<GeneratedSample>(options.out) : undefined;
  const samples: GeneratedSample[] = [];
  for (const task of tasks) {
    let sample = previous.get(task.taskId);
    if (!sample) {
      options.signal?.throwIfAborted();
      const output = await complete(task);
      sample = { task_id: task.taskId, solution: programFromOutput(output, task), output };
      writer?.write(sample);
    }
    samples.push(sample);
    options.onSample?.(sample, samples.length, tasks.length);
  }
  return samples;
}
