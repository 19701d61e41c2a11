// Corpus BLEU and CodeBLEU's keyword-weighted variant, as in the reference's `bleu.py` (NLTK's
// corpus_bleu with smoothing method 1) and `weighted_ngram_match.py`. Sums are taken in the
// reference's order so results agree to the last bits where floats are involved.
import { codeFor } from './sequence-interner.js';

const NGRAM_WEIGHTS = [0.25, 0.25, 0.25, 0.25];
const SMOOTHING_EPSILON = 0.1;
/** Weight of a non-keyword unigram in the weighted n-gram match. */
const NON_KEYWORD_WEIGHT = 0.2;

type Ngrams = Map<number, number>;

/** Counts of the n-gram ids of one order, in order of first occurrence (as the reference's Counter). */
function countNgrams(ids: readonly number[]): Ngrams {
  const counts: Ngrams = new Map();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

/** The n-gram ids of one token sequence, by order: `[unigrams, bigrams, trigrams, 4-grams]`. */
type NgramIds = number[][];

interface EncodedItem {
  hypothesis: NgramIds;
  references: NgramIds[];
}

/**
 * A tokenized corpus with every token and n-gram as a small integer, built once for both
 * n-gram matches: equal n-grams get equal ids, keys are numbers rather than joined strings and
 * cannot collide. Unigram ids are token ids (see `words`); an n-gram's id is looked up from its
 * (n-1)-gram prefix's id and its last token's.
 */
export class NgramCorpus {
  readonly items: EncodedItem[];
  /** Token text by unigram id. */
  readonly words: string[] = [];
  private readonly tokenIds = new Map<string, number>();
  private readonly ngramIds = NGRAM_WEIGHTS.slice(1).map(() => new Map<number, number>());

  constructor(references: string[][][], hypotheses: string[][]) {
    const unigrams = hypotheses.map((tokens, item) => ({
      hypothesis: this.tokens(tokens),
      references: references[item].map((reference) => this.tokens(reference)),
    }));
    // Prefix ids and token ids are both below the number of tokens, so prefix * base + token stays exact.
    const base = Math.max(1, this.words.length);
    this.items = unigrams.map(({ hypothesis, references: encoded }) => ({
      hypothesis: this.ngrams(hypothesis, base),
      references: encoded.map((reference) => this.ngrams(reference, base)),
    }));
  }

  private tokens(tokens: readonly string[]): number[] {
    return tokens.map((token) => {
      const id = codeFor(this.tokenIds, token);
      if (id === this.words.length) this.words.push(token);
      return id;
    });
  }

  private ngrams(unigrams: number[], base: number): NgramIds {
    const orders = [unigrams];
    for (let n = 2; n <= NGRAM_WEIGHTS.length; n++) {
      const prefixes = orders[n - 2];
      const ids = this.ngramIds[n - 2];
      const current: number[] = [];
      for (let start = 0; start + n <= unigrams.length; start++) current.push(codeFor(ids, prefixes[start] * base + unigrams[start + n - 1]));
      orders.push(current);
    }
    return orders;
  }
}

function closestReferenceLength(referenceLengths: number[], hypothesisLength: number): number {
  let best = referenceLengths[0];
  for (const length of referenceLengths) {
    const distance = Math.abs(length - hypothesisLength);
    const bestDistance = Math.abs(best - hypothesisLength);
    if (distance < bestDistance || (distance === bestDistance && length < best)) best = length;
  }
  return best;
}

function brevityPenalty(referenceLength: number, hypothesisLength: number): number {
  if (hypothesisLength > referenceLength) return 1;
  if (hypothesisLength === 0) return 0;
  return Math.exp(1 - referenceLength / hypothesisLength);
}

function combine(numerators: number[], denominators: number[], penalty: number): number {
  if (numerators[0] === 0) return 0;
  let logSum = 0;
  for (let i = 0; i < NGRAM_WEIGHTS.length; i++) {
    const numerator = numerators[i] === 0 ? SMOOTHING_EPSILON : numerators[i];
    logSum += NGRAM_WEIGHTS[i] * Math.log(numerator / denominators[i]);
  }
  return penalty * Math.exp(logSum);
}

/** NLTK-style corpus BLEU-4 with smoothing method 1 (clipped n-gram precision). */
export function corpusBleu(corpus: NgramCorpus): number {
  const numerators = [0, 0, 0, 0];
  const denominators = [0, 0, 0, 0];
  let hypothesisTotal = 0;
  let referenceTotal = 0;
  for (const { hypothesis, references } of corpus.items) {
    for (let n = 1; n <= NGRAM_WEIGHTS.length; n++) {
      const referenceCounts = references.map((reference) => countNgrams(reference[n - 1]));
      let clipped = 0;
      let total = 0;
      for (const [ngram, count] of countNgrams(hypothesis[n - 1])) {
        let most = 0;
        for (const counts of referenceCounts) most = Math.max(most, counts.get(ngram) ?? 0);
        clipped += Math.min(count, most);
        total += count;
      }
      numerators[n - 1] += clipped;
      denominators[n - 1] += Math.max(1, total);
    }
    hypothesisTotal += hypothesis[0].length;
    referenceTotal += closestReferenceLength(references.map((reference) => reference[0].length), hypothesis[0].length);
  }
  return combine(numerators, denominators, brevityPenalty(referenceTotal, hypothesisTotal));
}

/**
 * CodeBLEU's weighted n-gram match: n-gram *recall* against each reference, where unigrams
 * count 1 if they are keywords of the language and 0.2 otherwise. Quirk kept from the
 * reference: its brevity penalty measures each reference as the length of a
 * `[tokens, weights]` pair, i.e. 2, so the penalty only bites hypotheses of 2 tokens or fewer
 * per item.
 */
export function corpusWeightedNgramMatch(corpus: NgramCorpus, keywords: ReadonlySet<string>): number {
  const numerators = [0, 0, 0, 0];
  const denominators = [0, 0, 0, 0];
  let hypothesisTotal = 0;
  let referenceTotal = 0;
  const unigramWeight = (id: number) => (keywords.has(corpus.words[id]) ? 1 : NON_KEYWORD_WEIGHT);
  for (const { hypothesis, references } of corpus.items) {
    for (let n = 1; n <= NGRAM_WEIGHTS.length; n++) {
      const counts = countNgrams(hypothesis[n - 1]);
      // Per item first, then into the corpus total, as the reference adds its floats.
      let itemNumerator = 0;
      let itemDenominator = 0;
      for (const reference of references) {
        let clipped = 0;
        let total = 0;
        for (const [ngram, count] of countNgrams(reference[n - 1])) {
          const weight = n === 1 ? unigramWeight(ngram) : 1;
          clipped += Math.min(count, counts.get(ngram) ?? 0) * weight;
          total += count * weight;
        }
        itemNumerator += clipped;
        itemDenominator += Math.max(1, total);
      }
      numerators[n - 1] += itemNumerator;
      denominators[n - 1] += itemDenominator;
    }
    hypothesisTotal += hypothesis[0].length;
    const pairLength = 2;
    if (references.length) referenceTotal += pairLength;
  }
  return combine(numerators, denominators, brevityPenalty(referenceTotal, hypothesisTotal));
}
