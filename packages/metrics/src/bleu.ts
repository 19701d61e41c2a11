// Corpus BLEU and CodeBLEU's keyword-weighted variant, as in the reference's `bleu.py` (NLTK's
// corpus_bleu with smoothing method 1) and `weighted_ngram_match.py`. Sums are taken in the
// reference's order so results agree to the last bits where floats are involved.
import { codeFor, SequenceInterner } from './sequence-interner.js';

const NGRAM_WEIGHTS = [0.25, 0.25, 0.25, 0.25];
const SMOOTHING_EPSILON = 0.1;
/** Weight of a non-keyword unigram in the weighted n-gram match. */
const NON_KEYWORD_WEIGHT = 0.2;

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
 * order, its (n-1)-gram prefix's id and its last token's. Ids are small (0, 1, 2, ...), so
 * n-grams are counted in arrays indexed by id rather than in maps.
 */
export class NgramCorpus {
  readonly items: EncodedItem[];
  /** Token text by unigram id. */
  readonly words: string[] = [];
  /** Ids are below this (in each order). */
  readonly idLimit: number;
  private readonly tokenIds = new Map<string, number>();

  constructor(references: string[][][], hypotheses: string[][]) {
    const unigrams = hypotheses.map((tokens, item) => ({
      hypothesis: this.tokens(tokens),
      references: references[item].map((reference) => this.tokens(reference)),
    }));
    this.items = unigrams.map(({ hypothesis, references: encoded }) => ({
      hypothesis: ngrams(hypothesis),
      references: encoded.map(ngrams),
    }));
    this.idLimit = Math.max(this.words.length, ngramIds.size);
    ngramIds.clear();
  }

  private tokens(tokens: readonly string[]): number[] {
    return tokens.map((token) => {
      const id = codeFor(this.tokenIds, token);
      if (id === this.words.length) this.words.push(token);
      return id;
    });
  }
}

/**
 * Ids of the n-grams of orders 2 and up, each the sequence (order, prefix id, last token id);
 * emptied after each corpus, which keeps the ids it was given in its items.
 */
const ngramIds = new SequenceInterner();

function ngrams(unigrams: number[]): NgramIds {
  const orders = [unigrams];
  const key = ngramIds.scratch(3);
  for (let n = 2; n <= NGRAM_WEIGHTS.length; n++) {
    const prefixes = orders[n - 2];
    const current: number[] = [];
    key[0] = n;
    for (let start = 0; start + n <= unigrams.length; start++) {
      key[1] = prefixes[start];
      key[2] = unigrams[start + n - 1];
      current.push(ngramIds.intern(3));
    }
    orders.push(current);
  }
  return orders;
}

/**
 * Counts indexed by n-gram id. Each user leaves them all at zero again (`take`, `clear`), so
 * the instances below serve every order, item and call without allocating.
 */
class IdCounts {
  private readonly counts: Int32Array;

  constructor(size: number) {
    this.counts = new Int32Array(size);
  }

  get capacity(): number {
    return this.counts.length;
  }

  get(id: number): number {
    return this.counts[id];
  }

  add(ids: readonly number[]): void {
    for (const id of ids) this.counts[id]++;
  }

  /** Raises each count of `ids` to `other`'s where that is higher. */
  raiseTo(other: IdCounts, ids: readonly number[]): void {
    for (const id of ids) this.counts[id] = Math.max(this.counts[id], other.counts[id]);
  }

  /**
   * The count of `id`, zeroing it: going through an n-gram list with `take`, each distinct
   * n-gram is seen once, in order of first occurrence (the order of the reference's Counter).
   */
  take(id: number): number {
    const count = this.counts[id];
    this.counts[id] = 0;
    return count;
  }

  clear(ids: readonly number[]): void {
    for (const id of ids) this.counts[id] = 0;
  }
}

/** Ids up to which counts are kept from call to call (256 kB each); a larger corpus gets its own for the call. */
const KEPT_IDS = 1 << 16;
const kept = { hypothesis: new IdCounts(1024), reference: new IdCounts(1024), most: new IdCounts(1024) };

/** Zeroed counts for ids below `size`: the kept ones, grown where needed up to KEPT_IDS. */
function countsFor(which: keyof typeof kept, size: number): IdCounts {
  if (size > KEPT_IDS) return new IdCounts(size);
  if (size > kept[which].capacity) kept[which] = new IdCounts(Math.min(KEPT_IDS, Math.max(size, 2 * kept[which].capacity)));
  return kept[which];
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
  const counts = countsFor('hypothesis', corpus.idLimit);
  const referenceCounts = countsFor('reference', corpus.idLimit);
  const most = countsFor('most', corpus.idLimit);
  for (const { hypothesis, references } of corpus.items) {
    for (let n = 1; n <= NGRAM_WEIGHTS.length; n++) {
      // The most times each n-gram occurs in any one reference.
      for (const reference of references) {
        referenceCounts.add(reference[n - 1]);
        most.raiseTo(referenceCounts, reference[n - 1]);
        referenceCounts.clear(reference[n - 1]);
      }
      let clipped = 0;
      let total = 0;
      counts.add(hypothesis[n - 1]);
      for (const ngram of hypothesis[n - 1]) {
        const count = counts.take(ngram);
        if (count === 0) continue;
        clipped += Math.min(count, most.get(ngram));
        total += count;
      }
      for (const reference of references) most.clear(reference[n - 1]);
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
  const unigramWeights = corpus.words.map((word) => (keywords.has(word) ? 1 : NON_KEYWORD_WEIGHT));
  const counts = countsFor('hypothesis', corpus.idLimit);
  const referenceCounts = countsFor('reference', corpus.idLimit);
  for (const { hypothesis, references } of corpus.items) {
    for (let n = 1; n <= NGRAM_WEIGHTS.length; n++) {
      counts.add(hypothesis[n - 1]);
      // Per item first, then into the corpus total, as the reference adds its floats.
      let itemNumerator = 0;
      let itemDenominator = 0;
      for (const reference of references) {
        let clipped = 0;
        let total = 0;
        referenceCounts.add(reference[n - 1]);
        for (const ngram of reference[n - 1]) {
          const count = referenceCounts.take(ngram);
          if (count === 0) continue;
          const weight = n === 1 ? unigramWeights[ngram] : 1;
          clipped += Math.min(count, counts.get(ngram)) * weight;
          total += count * weight;
        }
        itemNumerator += clipped;
        itemDenominator += Math.max(1, total);
      }
      counts.clear(hypothesis[n - 1]);
      numerators[n - 1] += itemNumerator;
      denominators[n - 1] += itemDenominator;
    }
    hypothesisTotal += hypothesis[0].length;
    const pairLength = 2;
    if (references.length) referenceTotal += pairLength;
  }
  return combine(numerators, denominators, brevityPenalty(referenceTotal, hypothesisTotal));
}
