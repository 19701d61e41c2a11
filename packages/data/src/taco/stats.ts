import { median } from '@codistill/util';
import type { SelectedPair } from './select.js';
import type { TrainingExample } from './assemble.js';
import { approxTokenCount, type TokenCounter } from './tokens.js';

export interface LengthStats {
  min: number;
  mean: number;
  median: number;
  max: number;
}

export interface DatasetStats {
  examples: number;
  byRound: Record<string, number>;
  byDifficulty: Record<string, number>;
  bySource: Record<string, number>;
  /** Token lengths (with the given counter) of each field and of the whole example. */
  tokens: Record<'prompt' | 'context' | 'code' | 'tests' | 'total', LengthStats>;
}

export function lengthStats(values: number[]): LengthStats {
  if (values.length === 0) return { min: 0, mean: 0, median: 0, max: 0 };
  const sorted = values.slice().sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { min: sorted[0], mean: Math.round(mean * 10) / 10, median: median(sorted), max: sorted[sorted.length - 1] };
}

function tally(keys: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

/** Statistics of the assembled examples; `pairs` supplies difficulty, source and round by id. */
export function datasetStats(examples: TrainingExample[], pairs: SelectedPair[], countTokens: TokenCounter = approxTokenCount): DatasetStats {
  const pairById = new Map(pairs.map((p) => [p.id, p]));
  const used = examples.map((e) => pairById.get(e.id)).filter((p): p is SelectedPair => p !== undefined);
  const field = (name: 'prompt' | 'context' | 'code' | 'tests') => examples.map((e) => countTokens(e[name]));
  const prompt = field('prompt');
  const context = field('context');
  const code = field('code');
  const tests = field('tests');
  return {
    examples: examples.length,
    byRound: tally(used.map((p) => p.round)),
    byDifficulty: tally(used.map((p) => p.problem.difficulty)),
    bySource: tally(used.map((p) => p.problem.source || 'unknown')),
    tokens: {
      prompt: lengthStats(prompt),
      context: lengthStats(context),
      code: lengthStats(code),
      tests: lengthStats(tests),
      total: lengthStats(prompt.map((p, i) => p + context[i] + code[i] + tests[i])),
    },
  };
}
