import { createHash } from 'node:crypto';
import { mulberry32, shuffle } from '@codistill/util';
import { renderTests, type TestRenderOptions } from './tests-text.js';
import { approxTokenCount, type TokenCounter } from './tokens.js';
import type { TacoProblem } from './types.js';

export interface SelectionOptions extends TestRenderOptions {
  /** Student-token budget for question + solution + tests (2,000 in the paper). */
  maxTokens?: number;
  /** Problems repeated with a different correct solution (3,000 in the paper). */
  extra?: number;
  seed?: number;
  countTokens?: TokenCounter;
}

/** One (problem, solution) pair chosen for training. */
export interface SelectedPair {
  /** Deterministic: hash of the question and the solution index. */
  id: string;
  problem: TacoProblem;
  solutionIndex: number;
  prompt: string;
  code: string;
  tests: string;
  tokens: number;
  round: 'first' | 'extra';
}

export interface SelectionReport {
  problems: number;
  maxTokens: number;
  seed: number;
  kept: number;
  skipped: { noSolutions: number; noTests: number; overBudget: number };
  extraRequested: number;
  /** Kept problems with more than one solution. */
  extraCandidates: number;
  extraChosen: number;
  examples: number;
}

/** Deterministic example id: the same problem and solution index always map to the same id. */
export function tacoExampleId(question: string, solutionIndex: number): string {
  return createHash('sha256').update(question).update('\u0000').update(String(solutionIndex)).digest('hex').slice(0, 16);
}

/** The student's input: the question, plus the starter code call-based problems come with. */
export function tacoPrompt(problem: TacoProblem): string {
  const question = problem.question.trim();
  const starter = problem.starterCode.trim();
  return starter === '' ? question : `${question}\n\nStarter code:\n${starter}`;
}

/**
 * The paper's selection: every problem whose question + first correct solution + tests fit in
 * `maxTokens` student tokens, then `extra` of those problems drawn at random (seeded) a second time,
 * each with a different randomly chosen correct solution that also fits the budget (a problem none
 * of whose other solutions fits is passed over).
 */
export function selectTaco(problems: TacoProblem[], options: SelectionOptions = {}): { pairs: SelectedPair[]; report: SelectionReport } {
  const maxTokens = options.maxTokens ?? 2000;
  const extra = options.extra ?? 3000;
  const seed = options.seed ?? 0;
  const countTokens = options.countTokens ?? approxTokenCount;
  const report: SelectionReport = {
    problems: problems.length, maxTokens, seed, kept: 0,
    skipped: { noSolutions: 0, noTests: 0, overBudget: 0 },
    extraRequested: extra, extraCandidates: 0, extraChosen: 0, examples: 0,
  };

  const pairOf = (problem: TacoProblem, solutionIndex: number, round: SelectedPair['round']): SelectedPair => {
    const prompt = tacoPrompt(problem);
    const code = problem.solutions[solutionIndex].trim();
    const tests = renderTests(problem, options);
    const tokens = countTokens(prompt) + countTokens(code) + countTokens(tests);
    return { id: tacoExampleId(problem.question, solutionIndex), problem, solutionIndex, prompt, code, tests, tokens, round };
  };

  const firsts: SelectedPair[] = [];
  for (const problem of problems) {
    if (problem.solutions.length === 0) report.skipped.noSolutions++;
    else if (problem.tests === null || problem.tests.inputs.length === 0) report.skipped.noTests++;
    else {
      const pair = pairOf(problem, 0, 'first');
      if (pair.tokens <= maxTokens) firsts.push(pair);
      else report.skipped.overBudget++;
    }
  }
  report.kept = firsts.length;

  // Lazy draw: shuffle the kept problems, then try each one's other solutions in random order until
  // one fits. TACO averages dozens of solutions per problem, so tokenizing them all up front is slow.
  const random = mulberry32(seed);
  const candidates = firsts.filter((pair) => pair.problem.solutions.length > 1);
  report.extraCandidates = candidates.length;
  const extras: SelectedPair[] = [];
  for (const { problem } of shuffle(candidates, random)) {
    if (extras.length >= extra) break;
    const others = problem.solutions.map((_, s) => s).slice(1);
    for (const s of shuffle(others, random)) {
      const pair = pairOf(problem, s, 'extra');
      if (pair.tokens <= maxTokens) {
        extras.push(pair);
        break;
      }
    }
  }
  report.extraChosen = extras.length;

  const pairs = [...firsts, ...extras];
  report.examples = pairs.length;
  return { pairs, report };
}
