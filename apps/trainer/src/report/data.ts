/** Everything the report shows; `codistill report --run DIR` reads it from a run folder (see load.ts). */
export interface ReportData {
  meta: RunMeta;
  /** pass@1 in percent, one row per benchmark (paper's Table 1: HumanEval, MBPP, MBPP+). */
  passAt1: Array<{ benchmark: string; tasks: number; base: number; tuned: number }>;
  /** Mean CodeBLEU components in [0, 1] over the generated solutions (paper's Table 3). */
  codebleu?: { pairs: number; base: { syntax: number; dataflow: number }; tuned: { syntax: number; dataflow: number } };
  /** Rows of train/train_log.jsonl (train's StepLog). */
  trainLog: Array<{ step: number; token_loss: number; struct_loss?: number; alpha: number; beta: number; learning_rate: number; eval_loss?: number }>;
  /** Perplexity of each question's last 90 % given its first 10 %. */
  questionPerplexity?: { base: number[]; tuned: number[] };
  /** Per-token perplexity (exp of -log p) of each model along one generated solution. */
  tokenPerplexity?: { task: string; base: number[]; tuned: number[] };
}

export interface RunMeta {
  student: string;
  teacher?: string;
  codebert?: string;
  /** Where the training contexts came from, e.g. "teacher" or "shipped sample (hand-written)". */
  contexts?: string;
  dataSizes: Record<string, number>;
  seeds: Record<string, number>;
  versions: Record<string, string>;
  startedAt: string;
  finishedAt?: string;
  notes?: string[];
}
