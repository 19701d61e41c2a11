import { field, loadRowsWithText } from './source.js';

export type EvalPlusDataset = 'humaneval' | 'mbpp';

/**
 * One HumanEval+ or MBPP+ task. Inputs are argument lists as stored (JSON); MBPP+ tuples and sets
 * are restored by the harness inside Python. Expected outputs are not stored: like EvalPlus, the
 * harness computes them by running `prompt + canonicalSolution`.
 */
export interface EvalPlusTask {
  dataset: EvalPlusDataset;
  taskId: string;
  prompt: string;
  entryPoint: string;
  canonicalSolution: string;
  baseInput: unknown[][];
  plusInput: unknown[][];
  /** Absolute tolerance for float outputs (0: exact, with EvalPlus' 1e-6 floor for floats). */
  atol: number;
  contract: string;
  /** HumanEval+ only: the original `check(candidate)` test. */
  test?: string;
  /** MBPP+ only: the original assert statements. */
  assertion?: string;
  /**
   * The row's original JSON. `baseInput`/`plusInput` are the JS view, which turns 1.0 into 1 and
   * rounds integers beyond 2^53; the harness hands this text to Python to get the exact inputs.
   */
  rowJson: string;
}

const RELEASES = 'https://github.com/evalplus';
export const HUMANEVAL_PLUS_URL = `${RELEASES}/humanevalplus_release/releases/download/v0.1.10/HumanEvalPlus.jsonl.gz`;
export const MBPP_PLUS_URL = `${RELEASES}/mbppplus_release/releases/download/v0.2.0/MbppPlus.jsonl.gz`;

function inputs(row: Record<string, unknown>, name: string, where: string): unknown[][] {
  const value = row[name];
  // Mbpp/793 of MBPP+ v0.2.0 stores its (empty) plus_input as {}.
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) return [];
  if (!Array.isArray(value) || value.some((args) => !Array.isArray(args))) {
    throw new Error(`${where}: field "${name}" must be a list of argument lists`);
  }
  return value as unknown[][];
}

async function loadEvalPlus(source: string, dataset: EvalPlusDataset): Promise<EvalPlusTask[]> {
  const rows = await loadRowsWithText(source);
  return rows.map(({ row, json }, index) => {
    const where = `${source}: row ${index + 1}`;
    return {
      dataset,
      taskId: field<string>(row, 'task_id', 'string', where),
      prompt: field<string>(row, 'prompt', 'string', where),
      entryPoint: field<string>(row, 'entry_point', 'string', where),
      canonicalSolution: field<string>(row, 'canonical_solution', 'string', where),
      baseInput: inputs(row, 'base_input', where),
      plusInput: inputs(row, 'plus_input', where),
      atol: Number(row.atol ?? 0),
      contract: String(row.contract ?? ''),
      ...(typeof row.test === 'string' ? { test: row.test } : {}),
      ...(typeof row.assertion === 'string' ? { assertion: row.assertion } : {}),
      rowJson: json,
    };
  });
}

export function loadHumanEvalPlus(source: string): Promise<EvalPlusTask[]> {
  return loadEvalPlus(source, 'humaneval');
}

export function loadMbppPlus(source: string): Promise<EvalPlusTask[]> {
  return loadEvalPlus(source, 'mbpp');
}
