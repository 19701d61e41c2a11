import { loadHumanEval, loadHumanEvalPlus, loadMbpp, loadMbppPlus, type MbppSplit } from '@codistill/data';
import { evalPlusTask, humanEvalTask, mbppTask, type HarnessTask } from './tasks.js';

export const BENCHMARKS = ['humaneval', 'humanevalplus', 'mbpp', 'mbppplus'] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];

/** Where each benchmark's file comes from (for error messages and docs). */
export const BENCHMARK_FILES: Record<BenchmarkName, string> = {
  humaneval: 'HumanEval.jsonl.gz from https://github.com/openai/human-eval (data/)',
  humanevalplus: 'HumanEvalPlus.jsonl.gz v0.1.10 from https://github.com/evalplus/humanevalplus_release/releases',
  mbpp: 'mbpp.jsonl or sanitized-mbpp.json from https://github.com/google-research/google-research/tree/master/mbpp',
  mbppplus: 'MbppPlus.jsonl.gz v0.2.0 from https://github.com/evalplus/mbppplus_release/releases',
};

export function isBenchmarkName(name: string): name is BenchmarkName {
  return (BENCHMARKS as readonly string[]).includes(name);
}

/** Loads a benchmark file (path or URL) as harness tasks. MBPP defaults to the test split (11-510). */
export async function loadBenchmark(name: BenchmarkName, source: string, options: { mbppSplit?: MbppSplit } = {}): Promise<HarnessTask[]> {
  switch (name) {
    case 'humaneval':
      return (await loadHumanEval(source)).map(humanEvalTask);
    case 'humanevalplus':
      return (await loadHumanEvalPlus(source)).map(evalPlusTask);
    case 'mbpp':
      return (await loadMbpp(source, { split: options.mbppSplit })).map(mbppTask);
    case 'mbppplus':
      return (await loadMbppPlus(source)).map(evalPlusTask);
  }
}
