import { readFileSync } from 'node:fs';

/** A pair from the reference oracle (`golden-dev.jsonl`), fields as the oracle's README describes. */
export interface GoldenPair {
  id: string;
  reference: string;
  hypothesis: string;
  syntax_match: number;
  dataflow_match: number;
  dataflow_hash_seed: {
    seed_dependent: boolean;
    observed_values_over_seeds_0_199: Array<[number, number]>;
    insertion_order_dedup: number;
  };
  calc_codebleu: Record<string, number>;
}

type DebugEdge = [string, number, string, string[], number[]];

export interface GoldenDebug {
  id: string;
  reference_after_comment_removal: string;
  hypothesis_after_comment_removal: string;
  reference_subtrees: string[];
  hypothesis_subtrees: string[];
  reference_dfg: DebugEdge[];
  hypothesis_dfg: DebugEdge[];
}

function readJsonl<T>(name: string): T[] {
  const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
  return text.trim().split('\n').map((line) => JSON.parse(line) as T);
}

export const goldenPairs = readJsonl<GoldenPair>('golden-dev.jsonl');
export const goldenDebug = readJsonl<GoldenDebug>('golden-dev-debug.jsonl');
