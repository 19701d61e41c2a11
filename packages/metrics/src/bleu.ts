// Corpus BLEU and CodeBLEU's keyword-weighted variant, as in the reference's `bleu.py` (NLTK's
// corpus_bleu with smoothing method 1) and `weighted_ngram_match.py`. Sums are taken in the
// reference's order so results agree to the last bits where floats are involved.

const NGRAM_WEIGHTS = [0.25, 0.25, 0.25, 0.25];
const SMOOTHING_EPSILON = 0.1;
/** Weight of a non-keyword unigram in the weighted n-gram match. */
const NON_KEYWORD_WEIGHT = 0.2;

type Ngrams = Map<string, number>;

function countNgrams(tokens: readonly number[], n: number): Ngrams {
  const counts: Ngrams = new Map();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(',');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Maps token strings to small integers so n-gram keys cannot collide. */
class Vocabulary {
  private readonly ids = new Map<string, number>();
  readonly words: string[] = [];
  encode(tokens: readonly string[]): number[] {
    return tokens.map((token) => {
      let id = this.ids.get(token);
      if (id === undefined) {
        id = this.words.length;
        this.ids.set(token, id);
        this.words.push(token);
      }
      return id;
    });
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
export function corpusBleu(references: string[][][], hypotheses: string[][]): number {
  const vocabulary = new Vocabulary();
  const numerators = [0, 0, 0, 0];
  const denominators = [0, 0, 0, 0];
  let hypothesisTotal = 0;
  let referenceTotal = 0;
  hypotheses.forEach((hypothesisTokens, item) => {
    const hypothesis = vocabulary.encode(hypothesisTokens);
    const candidates = references[item].map((tokens) => vocabulary.encode(tokens));
    for (let n = 1; n <= NGRAM_WEIGHTS.length; n++) {
      const counts = countNgrams(hypothesis, n);
      const referenceCounts = candidates.map((reference) => countNgrams(reference, n));
      let clipped = 0;
      let total = 0;
      for (const [ngram, count] of counts) {
        const most = Math.max(0, ...referenceCounts.map((c) => c.get(ngram) ?? 0));
        clipped += Math.min(count, most);
        total += count;
      }
      numerators[n - 1] += clipped;
      denominators[n - 1] += Math.max(1, total);
    }
    hypothesisTotal += hypothesis.length;
    referenceTotal += closestReferenceLength(candidates.map((r) => r.length), hypothesis.length);
  });
  return combine(numerators, denominators, brevityPenalty(referenceTotal, hypothesisTotal));
}

/**
 * CodeBLEU's weighted n-gram match: n-gram *recall* against each reference, where unigrams
 * count 1 if they are keywords of the language and 0.2 otherwise. Quirk kept from the
 * reference: its brevity penalty measures each reference as the length of a
 * `[tokens, weights]` pair, i.e. 2, so the penalty only bites hypotheses of 2 tokens or fewer
 * per item.
 */
export function corpusWeightedNgramMatch(references: string[][][], hypotheses: string[][], keywords: ReadonlySet<string>): number {
  const vocabulary = new Vocabulary();
  const numerators = [0, 0, 0, 0];
  const denominators = [0, 0, 0, 0];
  let hypothesisTotal = 0;
  let referenceTotal = 0;
  hypotheses.forEach((hypothesisTokens, item) => {
    const hypothesis = vocabulary.encode(hypothesisTokens);
    const encodedReferences = references[item].map((tokens) => vocabulary.encode(tokens));
    for (let n = 1; n <= NGRAM_WEIGHTS.length; n++) {
      const counts = countNgrams(hypothesis, n);
      // Per item first, then into the corpus total, as the reference adds its floats.
      let itemNumerator = 0;
      let itemDenominator = 0;
      for (const reference of encodedReferences) {
        const weightOf = (ngram: string) =>
          n === 1 && !keywords.has(vocabulary.words[Number(ngram)]) ? NON_KEYWORD_WEIGHT : 1;
        let clipped = 0;
        let total = 0;
        for (const [ngram, count] of countNgrams(reference, n)) {
          clipped += Math.min(count, counts.get(ngram) ?? 0) * weightOf(ngram);
          total += count * weightOf(ngram);
        }
        itemNumerator += clipped;
        itemDenominator += Math.max(1, total);
      }
      numerators[n - 1] += itemNumerator;
      denominators[n - 1] += itemDenominator;
    }
    hypothesisTotal += hypothesis.length;
    const pairLength = 2;
    if (encodedReferences.length) referenceTotal += pairLength;
  });
  return combine(numerators, denominators, brevityPenalty(referenceTotal, hypothesisTotal));
}
