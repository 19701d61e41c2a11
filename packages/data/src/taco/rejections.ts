import type { SelectionReport } from './select.js';
import type { MalformedRow } from './types.js';

/** Rows that gave no example for one reason: a decode failure, or one of the selection's skips. */
export interface TacoRejection {
  reason: string;
  rows: number;
  /** The first such row, where rows were rejected while decoding (skips are counted, not located). */
  first?: { file: string; row: number };
  /** The selection's skip, for rows that decoded but were not selected. */
  skip?: keyof SelectionReport['skipped'];
}

/** What the loaded files gave: rows read, problems kept, and why the others gave none. */
export interface TacoYield {
  files: string[];
  rows: number;
  kept: number;
  rejections: TacoRejection[];
}

const SKIP_REASONS: Record<keyof SelectionReport['skipped'], string> = {
  noSolutions: 'solutions: missing or empty',
  noTests: 'input_output: missing or empty (no tests)',
  overBudget: 'over the token budget',
};

/**
 * Why rows gave no example, commonest first. Decode failures are grouped with their details (JSON
 * positions, list indices) dropped, so 10,000 rows of the wrong schema read as one reason, not 10,000.
 */
export function tacoRejections(malformed: MalformedRow[], report: SelectionReport): TacoRejection[] {
  const groups = new Map<string, TacoRejection>();
  for (const { file, row, reason } of malformed) {
    const key = reason.replace(/ \(.*\)$/s, '').replace(/\[\d+\]/g, '[]');
    const group = groups.get(key) ?? { reason: key, rows: 0, first: { file, row } };
    group.rows++;
    groups.set(key, group);
  }
  const rejections = [...groups.values()];
  for (const [skip, rows] of Object.entries(report.skipped) as Array<[keyof typeof SKIP_REASONS, number]>) {
    const reason = skip === 'overBudget' ? `${SKIP_REASONS[skip]} (max_tokens ${report.maxTokens})` : SKIP_REASONS[skip];
    if (rows > 0) rejections.push({ reason, rows, skip });
  }
  return rejections.sort((a, b) => b.rows - a.rows);
}

/** `57 rows: question: missing or empty (first: x.jsonl row 1); …`, the `limit` commonest reasons. */
export function describeRejections(rejections: TacoRejection[], limit = 3): string {
  const shown = rejections.slice(0, limit).map(({ reason, rows, first }) => {
    const where = first ? ` (first: ${first.file} row ${first.row})` : '';
    return `${plural(rows, 'row')}: ${reason}${where}`;
  });
  const rest = rejections.slice(limit);
  if (rest.length > 0) shown.push(`${plural(rest.reduce((n, r) => n + r.rows, 0), 'more row')} for ${plural(rest.length, 'other reason')}`);
  return shown.join('; ');
}

/** Thrown when the inputs give no problem to train on; the message names the files and the commonest reasons. */
export class TacoNoExamplesError extends Error {
  constructor(readonly yielded: TacoYield) {
    super(noExamplesMessage(yielded));
  }
}

function noExamplesMessage({ files, rows, rejections }: TacoYield): string {
  const from = `no TACO examples from ${namedFiles(files)}`;
  if (rows === 0) return `${from}: no rows in them`;
  // The commonest reason tells a budget too tight from an input that is not TACO rows at all.
  const hint = rejections[0]?.skip === 'overBudget'
    ? 'a larger max_tokens keeps more'
    : 'expected TACO rows as on the Hub (question, JSON-string solutions and input_output, difficulty, …)';
  return `${from}: none of the ${rows} rows was kept: ${describeRejections(rejections)}; ${hint}`;
}

/**
 * A warning when most rows are unusable (undecodable, or without solutions or tests) but some were
 * kept: a wrong or mixed-up input that still yields a few examples. Rows over the token budget are
 * the selection working as meant, so they do not count.
 */
export function tacoYieldWarning(yielded: TacoYield): string | undefined {
  const unusable = yielded.rejections.filter((r) => r.skip !== 'overBudget');
  const count = unusable.reduce((n, r) => n + r.rows, 0);
  if (yielded.kept === 0 || count * 2 <= yielded.rows) return undefined;
  return `${count} of the ${yielded.rows} rows of ${namedFiles(yielded.files)} are unusable, ${plural(yielded.kept, 'problem')} kept: ${describeRejections(unusable)}`;
}

function namedFiles(files: string[], limit = 3): string {
  if (files.length <= limit) return files.join(', ');
  return `${files.slice(0, limit).join(', ')} and ${files.length - limit} more files`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
