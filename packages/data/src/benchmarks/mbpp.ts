import { field, loadRows } from './source.js';

/** One MBPP problem; the full (mbpp.jsonl) and sanitized (sanitized-mbpp.json) files map to it. */
export interface MbppTask {
  taskId: number;
  /** The natural-language task ("Write a function to ..."). */
  text: string;
  /** Reference solution. */
  code: string;
  /** Code run before the asserts: `test_setup_code`, or the sanitized set's `test_imports` joined. */
  setupCode: string;
  testList: string[];
  challengeTestList: string[];
}

export type MbppSplit = 'prompt' | 'test' | 'validation' | 'train' | 'all';

/** The upstream split is by task_id range (google-research/mbpp README). */
export const MBPP_SPLIT_RANGES: Record<Exclude<MbppSplit, 'all'>, [number, number]> = {
  prompt: [1, 10],
  test: [11, 510],
  validation: [511, 600],
  train: [601, 974],
};

export const MBPP_URL = 'https://github.com/google-research/google-research/raw/master/mbpp/mbpp.jsonl';
export const SANITIZED_MBPP_URL = 'https://github.com/google-research/google-research/raw/master/mbpp/sanitized-mbpp.json';

function stringList(row: Record<string, unknown>, name: string, where: string): string[] {
  const value = row[name] ?? [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new Error(`${where}: field "${name}" must be a list of strings`);
  }
  return value as string[];
}

export function inMbppSplit(taskId: number, split: MbppSplit): boolean {
  if (split === 'all') return true;
  const [first, last] = MBPP_SPLIT_RANGES[split];
  return taskId >= first && taskId <= last;
}

/** Loads mbpp.jsonl or sanitized-mbpp.json (detected by their fields); default split: test. */
export async function loadMbpp(source: string, options: { split?: MbppSplit } = {}): Promise<MbppTask[]> {
  const split = options.split ?? 'test';
  const rows = await loadRows(source);
  const tasks = rows.map((row, index) => {
    const where = `${source}: row ${index + 1}`;
    const sanitized = 'prompt' in row && !('text' in row);
    return {
      taskId: field<number>(row, 'task_id', 'number', where),
      text: field<string>(row, sanitized ? 'prompt' : 'text', 'string', where),
      code: field<string>(row, 'code', 'string', where),
      setupCode: sanitized ? stringList(row, 'test_imports', where).join('\n') : String(row.test_setup_code ?? ''),
      testList: stringList(row, 'test_list', where),
      challengeTestList: stringList(row, 'challenge_test_list', where),
    };
  });
  return tasks.filter((task) => inMbppSplit(task.taskId, split));
}
