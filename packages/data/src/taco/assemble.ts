import { writeFileDurable } from '@codistill/util';
import type { SelectedPair } from './select.js';

/**
 * One training example, exactly the fields the trainer reads: the prompt is input only (no loss);
 * context, code and tests are the target spans the loss covers.
 */
export interface TrainingExample {
  id: string;
  prompt: string;
  context: string;
  code: string;
  tests: string;
}

export type ExampleField = keyof Omit<TrainingExample, 'id'>;

export interface ExampleSpan {
  field: ExampleField;
  start: number;
  end: number;
  /** False for the prompt: attention sees it, the token loss skips it. */
  inLoss: boolean;
}

export interface AssembleOptions {
  /** Context text for an example id (from the teacher's contexts.jsonl); omitted means no contexts. */
  contextFor?: (id: string) => string | undefined;
}

export interface Assembled {
  examples: TrainingExample[];
  /** Ids that had no context while contexts were given; these examples are left out. */
  missingContext: string[];
}

export function assembleExamples(pairs: SelectedPair[], options: AssembleOptions = {}): Assembled {
  const assembled: Assembled = { examples: [], missingContext: [] };
  for (const pair of pairs) {
    let context = '';
    if (options.contextFor) {
      const found = options.contextFor(pair.id);
      if (found === undefined) {
        assembled.missingContext.push(pair.id);
        continue;
      }
      context = found;
    }
    assembled.examples.push({ id: pair.id, prompt: pair.prompt, context, code: pair.code, tests: pair.tests });
  }
  return assembled;
}

const FIELD_ORDER: ExampleField[] = ['prompt', 'context', 'code', 'tests'];

/**
 * Lays an example out as one text (fields joined by `separator`, empty fields dropped) with the
 * character span of each field, for building the loss mask after tokenization.
 */
export function exampleSpans(example: TrainingExample, separator = '\n\n'): { text: string; spans: ExampleSpan[] } {
  let text = '';
  const spans: ExampleSpan[] = [];
  for (const field of FIELD_ORDER) {
    if (example[field] === '') continue;
    if (text !== '') text += separator;
    spans.push({ field, start: text.length, end: text.length + example[field].length, inLoss: field !== 'prompt' });
    text += example[field];
  }
  return { text, spans };
}

/**
 * Writes examples as JSONL with exactly the trainer's fields, in order; all or nothing, so a full
 * disk or a crash never leaves half a training file that a later stage would take as complete.
 */
export async function writeExamplesJsonl(path: string, examples: TrainingExample[]): Promise<void> {
  const lines = function* () {
    for (const { id, prompt, context, code, tests } of examples) yield `${JSON.stringify({ id, prompt, context, code, tests })}\n`;
  };
  writeFileDurable(path, lines());
}
