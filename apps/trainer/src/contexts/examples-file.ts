import type { TrainingExample } from '@codistill/data';
import { readJsonl } from '@codistill/util';
import { z } from 'zod';

/** The command that writes the file, for the errors: a user who passed something else learns where it comes from. */
export const EXAMPLES_WRITER = '`codistill data taco --in TACO --tokenizer STUDENT --out FILE`';

const exampleSchema: z.ZodType<TrainingExample> = z.object({
  id: z.string().min(1),
  prompt: z.string(),
  context: z.string(),
  code: z.string(),
  tests: z.string(),
});

/**
 * The selected examples, as `codistill data taco` (and the run's data stage) wrote them. Contexts are
 * joined to examples by id, so every line must be one example and no id may repeat; any other line
 * is an error naming `file:line`.
 */
export function readExamplesFile(file: string): TrainingExample[] {
  const examples: TrainingExample[] = [];
  const lineOf = new Map<string, number>();
  // The file is written whole (never appended), so even a bad last line is an error, not a torn append.
  const invalid = (line: number, reason: string) => {
    throw new Error(`${file}:${line}: not valid JSON (${reason}); expected the examples JSONL written by ${EXAMPLES_WRITER}`);
  };
  for (const { value, line } of readJsonl(file, { onInvalid: invalid })) {
    const example = toExample(value, `${file}:${line}`);
    const first = lineOf.get(example.id);
    if (first !== undefined) throw new Error(`${file}:${line}: id '${example.id}' is also on line ${first}; each example needs its own id`);
    lineOf.set(example.id, line);
    examples.push(example);
  }
  if (!examples.length) throw new Error(`${file}: no examples; write it with ${EXAMPLES_WRITER}`);
  return examples;
}

function toExample(value: unknown, where: string): TrainingExample {
  const parsed = exampleSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue.path.length ? `field '${issue.path.join('.')}': ` : '';
  throw new Error(`${where}: ${field}${issue.message}; expected an example {id, prompt, context, code, tests} as written by ${EXAMPLES_WRITER}`);
}
