/** TACO difficulty labels (BAAI/TACO); third-party copies also carry UNKNOWN_DIFFICULTY. */
export const TACO_DIFFICULTIES = ['EASY', 'MEDIUM', 'MEDIUM_HARD', 'HARD', 'VERY_HARD', 'UNKNOWN_DIFFICULTY'] as const;
export type TacoDifficulty = (typeof TACO_DIFFICULTIES)[number];

/** TACO's `input_output`: stdin/stdout strings, or call-based argument lists when `fnName` is set. */
export interface TacoTests {
  inputs: unknown[];
  outputs: unknown[];
  fnName?: string;
}

/** One TACO problem with its JSON-string fields decoded. */
export interface TacoProblem {
  question: string;
  solutions: string[];
  starterCode: string;
  tests: TacoTests | null;
  difficulty: TacoDifficulty;
  source: string;
  name: string;
  url: string;
  /** Where the row came from, for error messages and reproducibility. */
  origin: { file: string; row: number };
}

/** A row that could not be decoded; `row` is 1-based (the line of a JSONL file). */
export interface MalformedRow {
  file: string;
  row: number;
  reason: string;
}
