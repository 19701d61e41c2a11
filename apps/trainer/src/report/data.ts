import type { Comparison } from '@codistill/compare';

/**
 * Everything the report shows; `codistill report --run DIR` reads it from a run folder (see load.ts).
 * The results are the eval stage's Comparison as it writes them (`tuned` is null for a base-only one):
 * - passAt1: pass@1 in percent, one row per benchmark (paper's Table 1: HumanEval, MBPP, MBPP+);
 * - codebleu: mean CodeBLEU components in [0, 1] over the generated solutions (paper's Table 3);
 * - questionPerplexity: perplexity of each question's last 90 % given its first 10 %;
 * - tokenPerplexity: per-token perplexity (exp of -log p) of each model along one generated solution.
 */
export interface ReportData extends Pick<Comparison, 'passAt1'>, Partial<Pick<Comparison, 'codebleu' | 'questionPerplexity' | 'tokenPerplexity'>> {
  meta: RunMeta;
  /** For a run whose report stage has not finished: which stages have not, in words. */
  unfinished?: string;
  /** Rows of train/train_log.jsonl (train's StepLog). */
  trainLog: Array<{ step: number; token_loss: number; struct_loss?: number; alpha: number; beta: number; learning_rate: number; eval_loss?: number; eval_token_loss?: number }>;
}

export interface RunMeta {
  student: string;
  teacher?: string;
  codebert?: string;
  /** Where the training contexts came from, e.g. "teacher" or "shipped sample (hand-written)". */
  contexts?: string;
  dataSizes: Record<string, number>;
  seeds: Record<string, number>;
  /** Where the models ran and the base model's dtype, e.g. "webgpu, base model in float16"; absent in runs made before it was recorded. */
  compute?: string;
  versions: Record<string, string>;
  startedAt: string;
  finishedAt?: string;
  notes?: string[];
}
