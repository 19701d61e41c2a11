import { readFileSync } from 'node:fs';
import type { CodeBleuScores } from '../src/index.js';

/** The reference's ten languages, in its order; python's oracle has more pairs and fields. */
export const LANGUAGES = ['java', 'javascript', 'c_sharp', 'php', 'c', 'cpp', 'python', 'go', 'ruby', 'rust'] as const;
export type Lang = (typeof LANGUAGES)[number];

/** A pair from the reference oracle (`golden-dev[-LANG].jsonl`), fields as the oracle's README describes. */
export interface GoldenPair {
  id: string;
  reference: string;
  hypothesis: string;
  syntax_match: number;
  dataflow_match: number;
  dataflow_hash_seed: {
    seed_dependent: boolean;
    /** python's oracle ran seeds 0–199, the others' 0–99. */
    observed_values_over_seeds_0_199?: Array<[number, number]>;
    observed_values_over_seeds_0_99?: Array<[number, number]>;
    sorted_dedup: number;
  };
  syntax_detail: { matched: number; total: number };
  dataflow_detail: { matched: number; total: number };
  calc_codebleu: Record<keyof CodeBleuScores, number>;
}

type DebugEdge = [string, number, string, string[], number[]];

export interface GoldenDebug {
  id: string;
  reference_after_comment_removal: string;
  hypothesis_after_comment_removal: string;
  /** Only in python's oracle. */
  reference_subtrees?: string[];
  hypothesis_subtrees?: string[];
  reference_dfg: DebugEdge[];
  hypothesis_dfg: DebugEdge[];
}

function readJsonl<T>(name: string): T[] {
  const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
  return text.trim().split('\n').map((line) => JSON.parse(line) as T);
}

const fileSuffix = (lang: Lang) => (lang === 'python' ? '' : `-${lang}`);

export function goldenSet(lang: Lang): { pairs: GoldenPair[]; debug: GoldenDebug[] } {
  return { pairs: readJsonl<GoldenPair>(`golden-dev${fileSuffix(lang)}.jsonl`), debug: readJsonl<GoldenDebug>(`golden-dev-debug${fileSuffix(lang)}.jsonl`) };
}

export const goldenPairs = goldenSet('python').pairs;

/** Every data-flow value the reference produced for the pair over the hash seeds it ran. */
export function observedDataflowValues(pair: GoldenPair): number[] {
  const { observed_values_over_seeds_0_199: python, observed_values_over_seeds_0_99: others } = pair.dataflow_hash_seed;
  return (python ?? others ?? []).map(([value]) => value);
}

/**
 * Hash-seed quirk: where the reference's data-flow score depends on Python's string hash seed
 * (it orders merged parent names with `list(set(...))`), this package de-duplicates them
 * sorted. The oracle ran the reference with exactly that change (`sorted_dedup`), so those
 * pairs are compared with it.
 */
export function expectedDataflow(pair: GoldenPair): number {
  return pair.dataflow_hash_seed.seed_dependent ? pair.dataflow_hash_seed.sorted_dedup : pair.dataflow_match;
}

/** `calc_codebleu`'s five outputs, with the deterministic data-flow value swapped into the reference's formula. */
export function expectedScores(pair: GoldenPair): CodeBleuScores {
  const expected = { ...pair.calc_codebleu };
  if (pair.dataflow_hash_seed.seed_dependent) {
    const seedZero = expected.dataflow_match_score;
    const deterministic = pair.dataflow_hash_seed.sorted_dedup;
    expected.codebleu += 0.25 * ((deterministic || 1) - (seedZero || 1));
    expected.dataflow_match_score = deterministic;
  }
  return expected;
}

export const TOLERANCE = 1e-6;

/** The keys whose values differ from the expected ones by TOLERANCE or more (empty when all agree). */
export function differingScores(actual: CodeBleuScores, expected: CodeBleuScores): string[] {
  return (Object.keys(expected) as Array<keyof CodeBleuScores>).filter((key) => !(Math.abs(actual[key] - expected[key]) < TOLERANCE));
}
