import { field, loadRows } from './source.js';

/** One HumanEval problem (OpenAI human-eval format; HumanEval+ files carry the same fields). */
export interface HumanEvalTask {
  taskId: string;
  prompt: string;
  canonicalSolution: string;
  /** Defines `check(candidate)`. */
  test: string;
  entryPoint: string;
}

export const HUMANEVAL_URL = 'https://github.com/openai/human-eval/raw/master/data/HumanEval.jsonl.gz';

export async function loadHumanEval(source: string): Promise<HumanEvalTask[]> {
  const rows = await loadRows(source);
  return rows.map((row, index) => {
    const where = `${source}: row ${index + 1}`;
    return {
      taskId: field<string>(row, 'task_id', 'string', where),
      prompt: field<string>(row, 'prompt', 'string', where),
      canonicalSolution: field<string>(row, 'canonical_solution', 'string', where),
      test: field<string>(row, 'test', 'string', where),
      entryPoint: field<string>(row, 'entry_point', 'string', where),
    };
  });
}
