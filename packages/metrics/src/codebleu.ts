import { CodeAnalyzer } from './analysis.js';
import { corpusBleu, corpusWeightedNgramMatch, NgramCorpus } from './bleu.js';
import { matchDataflow } from './dataflow.js';
import { getLanguage, type CodeLanguage } from './language.js';
import { pySplit, pyStrip } from './python-text.js';
import { matchSubtrees } from './syntax.js';
import type { FlatTreeParser } from './tree.js';

export interface CodeBleuScores {
  codebleu: number;
  ngram_match_score: number;
  weighted_ngram_match_score: number;
  syntax_match_score: number;
  dataflow_match_score: number;
}

/** Weights of n-gram, weighted n-gram, syntax and data-flow match. */
export type CodeBleuWeights = readonly [number, number, number, number];
export const DEFAULT_WEIGHTS: CodeBleuWeights = [0.25, 0.25, 0.25, 0.25];

export interface CodeBleuOptions {
  /** A loaded language's name (see `loadLanguage`); default `python`. */
  lang?: string;
  weights?: CodeBleuWeights;
  /** Splits code into tokens for both n-gram matches; default Python's `str.split()`, as in the reference. */
  tokenizer?: (code: string) => string[];
}

/** One or several references per candidate, as the reference accepts them. */
export type References = ReadonlyArray<string | readonly string[]>;

interface Ratio {
  matched: number;
  total: number;
}

/**
 * Syntax and data-flow counts over a corpus, following the reference's loops exactly: every
 * (candidate, reference) combination adds to both sums, and the candidate is passed through
 * comment removal once more for each further reference (the reference overwrites its
 * variable inside the loop; for most code a second pass changes nothing).
 */
function structuralCounts(references: References, candidates: readonly string[], lang: string) {
  checkInputs(references, candidates);
  const analyzer = CodeAnalyzer.shared(getLanguage(lang));
  const syntax: Ratio = { matched: 0, total: 0 };
  const dataflow: Ratio = { matched: 0, total: 0 };
  try {
    candidates.forEach((original, item) => {
      let candidate = original;
      for (const reference of asList(references[item])) {
        candidate = analyzer.removeComments(candidate);
        const candidateFeatures = analyzer.featuresOf(candidate);
        const referenceFeatures = analyzer.featuresOf(analyzer.removeComments(reference));
        add(syntax, matchSubtrees(candidateFeatures.subtrees, referenceFeatures.subtrees));
        add(dataflow, matchDataflow(candidateFeatures.dataflow, referenceFeatures.dataflow));
      }
    });
  } finally {
    analyzer.trimCache();
  }
  return { syntax, dataflow };
}

function add(sum: Ratio, part: Ratio): void {
  sum.matched += part.matched;
  sum.total += part.total;
}

function asList(references: string | readonly string[]): readonly string[] {
  return typeof references === 'string' ? [references] : references;
}

/** As many reference entries as candidates, each with a reference, all of them text (JS callers get no type check). */
function checkInputs(references: References, candidates: readonly string[]): void {
  if (!Array.isArray(references) || !Array.isArray(candidates)) throw new TypeError('references and candidates must be arrays');
  if (references.length !== candidates.length) {
    throw new Error(`Got ${references.length} reference entries for ${candidates.length} candidates; they must pair up`);
  }
  candidates.forEach((candidate, item) => checkText(candidate, `candidate ${item}`));
  references.forEach((entry, item) => {
    if (asList(entry).length === 0) throw new Error(`Candidate ${item} has no reference`);
    if (typeof entry !== 'string') (entry as readonly unknown[]).forEach((reference, index) => checkText(reference, `reference ${index} of candidate ${item}`));
  });
}

function checkText(value: unknown, what: string): void {
  if (typeof value !== 'string') throw new TypeError(`${what} is ${value === null ? 'null' : typeof value}, not a string`);
}

/** Four finite non-negative numbers, as the reference asserts four (it would take negative ones; they make no score). */
export function checkWeights(weights: readonly number[]): CodeBleuWeights {
  if (!Array.isArray(weights) || weights.length !== 4 || weights.some((w) => typeof w !== 'number' || !Number.isFinite(w) || w < 0)) {
    throw new Error(`weights must be four non-negative numbers (n-gram, weighted n-gram, syntax, data flow), got ${JSON.stringify(weights)}`);
  }
  return weights as unknown as CodeBleuWeights;
}

const keywordSets = new WeakMap<CodeLanguage, ReadonlySet<string>>();

/** The language's keywords as a set, made once per language. */
function keywordSet(language: CodeLanguage): ReadonlySet<string> {
  let keywords = keywordSets.get(language);
  if (!keywords) {
    keywords = new Set(language.keywords);
    keywordSets.set(language, keywords);
  }
  return keywords;
}

function syntaxScore(ratio: Ratio): number {
  // The reference divides by zero here (ZeroDivisionError); say what is wrong instead.
  if (ratio.total === 0) throw new Error('Syntax match needs at least one (candidate, reference) pair');
  return ratio.matched / ratio.total;
}

/** Without any reference data flow the reference logs a warning and scores 0. */
function dataflowScore(ratio: Ratio): number {
  return ratio.total === 0 ? 0 : ratio.matched / ratio.total;
}

/** `corpus_syntax_match(references, candidates, lang)`: texts are used as given (no stripping). */
export function corpusSyntaxMatch(references: References, candidates: readonly string[], lang = 'python'): number {
  return syntaxScore(structuralCounts(references, candidates, lang).syntax);
}

/** `corpus_dataflow_match(references, candidates, lang)`: texts are used as given (no stripping). */
export function corpusDataflowMatch(references: References, candidates: readonly string[], lang = 'python'): number {
  return dataflowScore(structuralCounts(references, candidates, lang).dataflow);
}

/**
 * `calc_codebleu(references, predictions, lang, weights, tokenizer)`: strips every text, then
 * combines BLEU, weighted n-gram, syntax and data-flow match. As in the reference, a data-flow
 * score of 0 counts as 1 inside `codebleu` while `dataflow_match_score` still reports 0. The
 * language comes as the third argument or as `options.lang`.
 */
export function calcCodeBleu(references: References, predictions: readonly string[], options?: CodeBleuOptions): CodeBleuScores;
export function calcCodeBleu(references: References, predictions: readonly string[], lang: string, options?: Omit<CodeBleuOptions, 'lang'>): CodeBleuScores;
export function calcCodeBleu(
  references: References,
  predictions: readonly string[],
  langOrOptions: string | CodeBleuOptions = {},
  moreOptions: CodeBleuOptions = {},
): CodeBleuScores {
  const options = typeof langOrOptions === 'string' ? { ...moreOptions, lang: langOrOptions } : langOrOptions;
  const lang = options.lang ?? 'python';
  const weights = checkWeights(options.weights ?? DEFAULT_WEIGHTS);
  const tokenize = options.tokenizer ?? pySplit;
  checkInputs(references, predictions);
  const strippedReferences = references.map((entry) => asList(entry).map(pyStrip));
  const hypotheses = predictions.map(pyStrip);
  const keywords = keywordSet(getLanguage(lang));
  const ngrams = new NgramCorpus(
    strippedReferences.map((entry) => entry.map(tokenize)),
    hypotheses.map(tokenize),
  );
  const ngram = corpusBleu(ngrams);
  const weighted = corpusWeightedNgramMatch(ngrams, keywords);
  const counts = structuralCounts(strippedReferences, hypotheses, lang);
  const syntax = syntaxScore(counts.syntax);
  const dataflow = dataflowScore(counts.dataflow);
  const [alpha, beta, gamma, theta] = weights;
  return {
    codebleu: alpha * ngram + beta * weighted + gamma * syntax + theta * (dataflow || 1),
    ngram_match_score: ngram,
    weighted_ngram_match_score: weighted,
    syntax_match_score: syntax,
    dataflow_match_score: dataflow,
  };
}

/**
 * Which parser reads a loaded language's trees: `native` (built at install where a C compiler
 * is), `wasm-memory` (web-tree-sitter, read from its memory) or `wasm-cursor` (web-tree-sitter's
 * TreeCursor, with another web-tree-sitter release). The trees, and so the scores, are the same.
 */
export function parserOf(lang: string): FlatTreeParser['kind'] {
  return CodeAnalyzer.shared(getLanguage(lang)).parser;
}
