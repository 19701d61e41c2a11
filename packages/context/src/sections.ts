/** The five parts of a bridging context, in the order the prompt asks for them. */
export const SECTION_KEYS = ['intent', 'steps', 'formulas', 'edge_cases', 'libraries'] as const;
export type SectionKey = (typeof SECTION_KEYS)[number];
export type ContextSections = Record<SectionKey, string>;

export const SECTION_TITLES: Record<SectionKey, string> = {
  intent: 'Intent',
  steps: 'Algorithmic steps',
  formulas: 'Formulas',
  edge_cases: 'Edge cases',
  libraries: 'Built-ins and libraries',
};

/** Thrown when the teacher's answer is not the structured context asked for. */
export class InvalidContextError extends Error {}

export interface ParseContextOptions {
  /** The id the prompt asked the teacher to echo as "problem_id" (see buildContextMessages); missing or different is invalid. */
  problemId?: string;
}

/**
 * Parses the teacher's answer: a JSON object with the five keys (strings, or lists of strings for
 * enumerations), optionally wrapped in one ```json fence, as the prompt asks.
 */
export function parseContextResponse(text: string, options: ParseContextOptions = {}): ContextSections {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) throw new InvalidContextError('no JSON object in the answer');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(start, end + 1));
  } catch (e) {
    throw new InvalidContextError(`answer is not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidContextError('answer is not a JSON object');
  const record = parsed as Record<string, unknown>;
  if (options.problemId !== undefined) checkProblemId(record.problem_id, options.problemId);
  const sections = {} as ContextSections;
  for (const key of SECTION_KEYS) {
    const value = record[key];
    if (typeof value === 'string') sections[key] = value.trim();
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) sections[key] = value.map((v, i) => `${i + 1}. ${v.trim()}`).join('\n');
    else throw new InvalidContextError(`section "${key}": expected a string or a list of strings`);
    // Formulas may legitimately be absent ("None"); every other section must say something.
    if (sections[key] === '' && key !== 'formulas') throw new InvalidContextError(`section "${key}": empty`);
  }
  return sections;
}

function checkProblemId(echoed: unknown, expected: string): void {
  if (echoed === undefined) throw new InvalidContextError(`"problem_id" missing (expected "${expected}")`);
  if (typeof echoed !== 'string' || echoed.trim() !== expected) {
    throw new InvalidContextError(`"problem_id" is ${JSON.stringify(echoed)}, not "${expected}": the answer is for another problem`);
  }
}

/** Plain-text rendering used as the training target's context span. */
export function renderContext(sections: ContextSections): string {
  return SECTION_KEYS.map((key) => `${SECTION_TITLES[key]}:\n${sections[key] || 'None'}`).join('\n\n');
}
