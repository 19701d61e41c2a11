import { calcCodeBleu, checkWeights, DEFAULT_WEIGHTS, type CodeBleuScores, type CodeBleuWeights } from './codebleu.js';
import { JsonlInputError, readCodeJsonl, type CodeRecord } from './jsonl.js';
import { loadLanguage } from './language.js';

export interface CodeBleuReportOptions {
  lang?: string;
  weights?: CodeBleuWeights;
  /** Also score each hypothesis alone, before the corpus score. */
  sentence?: boolean;
}

export type CodeBleuLine = CodeBleuScores & { id?: string | number };

/**
 * CodeBLEU over paired records: with `sentence`, first one object per hypothesis (that pair
 * scored alone, with the hypothesis' id when it has one), then always the corpus object.
 */
export function codeBleuReport(references: CodeRecord[], hypotheses: CodeRecord[], options: CodeBleuReportOptions = {}): CodeBleuLine[] {
  const settings = { lang: options.lang, weights: options.weights ?? DEFAULT_WEIGHTS };
  const referenceCodes = references.map((record) => record.codes);
  const hypothesisCodes = hypotheses.map((record) => record.codes[0]);
  const lines: CodeBleuLine[] = [];
  if (options.sentence) {
    hypotheses.forEach((hypothesis, item) => {
      const scores = calcCodeBleu([referenceCodes[item]], [hypothesisCodes[item]], settings);
      lines.push(hypothesis.id === undefined ? scores : { id: hypothesis.id, ...scores });
    });
  }
  lines.push(calcCodeBleu(referenceCodes, hypothesisCodes, settings));
  return lines;
}

/** `codeBleuReport` over a references JSONL file and a hypotheses JSONL file, loading the language's grammar first. */
export async function codeBleuFromJsonl(
  referencesPath: string,
  hypothesesPath: string,
  options: CodeBleuReportOptions = {},
): Promise<CodeBleuLine[]> {
  const references = await readCodeJsonl(referencesPath, true);
  const hypotheses = await readCodeJsonl(hypothesesPath, false);
  if (references.length !== hypotheses.length) {
    throw new JsonlInputError(
      `${referencesPath} has ${references.length} records but ${hypothesesPath} has ${hypotheses.length}; they must pair up line by line`,
    );
  }
  if (hypotheses.length === 0) throw new JsonlInputError(`${hypothesesPath}: no records`);
  await loadLanguage(options.lang ?? 'python');
  return codeBleuReport(references, hypotheses, options);
}

/** Parses `0.25,0.25,0.25,0.25` into CodeBLEU weights. */
export function parseWeights(text: string): CodeBleuWeights {
  try {
    return checkWeights(text.split(',').map((part) => (part.trim() === '' ? NaN : Number(part))));
  } catch {
    throw new Error(`weights must be four non-negative numbers separated by commas, got "${text}"`);
  }
}
