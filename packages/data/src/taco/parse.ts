import { TACO_DIFFICULTIES, type TacoDifficulty, type TacoProblem, type TacoTests } from './types.js';

/** Thrown for a row that is not a usable TACO problem; the message names the field. */
export class TacoRowError extends Error {}

/** Decodes one raw TACO row (JSON-string fields as on the Hub, or already-decoded values). */
export function parseTacoRow(raw: unknown, origin: { file: string; row: number }): TacoProblem {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new TacoRowError('row is not an object');
  const row = raw as Record<string, unknown>;
  const question = row.question;
  if (typeof question !== 'string' || question.trim() === '') throw new TacoRowError(missingQuestion(row));
  return {
    question,
    solutions: parseSolutions(row.solutions),
    starterCode: optionalString(row, 'starter_code'),
    tests: parseTests(row.input_output),
    difficulty: parseDifficulty(row.difficulty),
    source: optionalString(row, 'source'),
    name: optionalString(row, 'name'),
    url: optionalString(row, 'url'),
    origin,
  };
}

/** The commonest mix-up, the examples this package writes fed back in as TACO rows, is named as such. */
function missingQuestion(row: Record<string, unknown>): string {
  const example = ['id', 'prompt', 'code', 'tests'].every((field) => field in row);
  return example ? 'question: missing; this is a training example {id, prompt, context, code, tests} as written by `codistill data taco`, not a TACO row' : 'question: missing or empty';
}

function decodeJsonField(value: unknown, field: string): unknown {
  if (typeof value !== 'string') return value;
  if (value.trim() === '') return undefined;
  try {
    return JSON.parse(value);
  } catch (e) {
    throw new TacoRowError(`${field}: not valid JSON (${(e as Error).message})`);
  }
}

function parseSolutions(value: unknown): string[] {
  const decoded = decodeJsonField(value, 'solutions');
  if (decoded === undefined || decoded === null) return [];
  if (!Array.isArray(decoded)) throw new TacoRowError('solutions: expected a JSON list of strings');
  decoded.forEach((s, i) => {
    if (typeof s !== 'string') throw new TacoRowError(`solutions[${i}]: expected a string, got ${typeof s}`);
  });
  // Blank entries carry no solution; dropping them keeps indices meaningful for selection.
  return (decoded as string[]).filter((s) => s.trim() !== '');
}

function parseTests(value: unknown): TacoTests | null {
  const decoded = decodeJsonField(value, 'input_output');
  if (decoded === undefined || decoded === null) return null;
  if (typeof decoded !== 'object' || Array.isArray(decoded)) throw new TacoRowError('input_output: expected a JSON object');
  const io = decoded as Record<string, unknown>;
  if (!Array.isArray(io.inputs)) throw new TacoRowError('input_output.inputs: expected a list');
  if (!Array.isArray(io.outputs)) throw new TacoRowError('input_output.outputs: expected a list');
  if (io.inputs.length !== io.outputs.length) {
    throw new TacoRowError(`input_output: ${io.inputs.length} inputs but ${io.outputs.length} outputs`);
  }
  if (io.fn_name !== undefined && typeof io.fn_name !== 'string') throw new TacoRowError('input_output.fn_name: expected a string');
  const tests: TacoTests = { inputs: io.inputs, outputs: io.outputs };
  if (typeof io.fn_name === 'string') tests.fnName = io.fn_name;
  return tests;
}

function parseDifficulty(value: unknown): TacoDifficulty {
  if (value === undefined || value === null || value === '') return 'UNKNOWN_DIFFICULTY';
  if (typeof value === 'string' && (TACO_DIFFICULTIES as readonly string[]).includes(value)) return value as TacoDifficulty;
  throw new TacoRowError(`difficulty: unknown value ${JSON.stringify(value)} (expected one of ${TACO_DIFFICULTIES.join(', ')})`);
}

function optionalString(row: Record<string, unknown>, field: string): string {
  const value = row[field];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new TacoRowError(`${field}: expected a string, got ${typeof value}`);
  return value;
}
