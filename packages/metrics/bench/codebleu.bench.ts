// Syntax + data-flow match throughput on the 224 golden pairs, the workload the reference's
// timing uses (one syntax call and one data-flow call per pair, each pair scored alone).
// Prints one JSON line; the reference's single-core figure is in the package README.
import { readFileSync } from 'node:fs';
import { CodeAnalyzer } from '../src/analysis.js';
import { corpusDataflowMatch, corpusSyntaxMatch, getLanguage } from '../src/index.js';

const pairs = readFileSync(new URL('../test/fixtures/golden-dev.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as { reference: string; hypothesis: string });

// The per-text cache outlives calls; every repetition starts from an empty one, so each
// repetition parses every distinct text of the corpus again.
const analyzer = CodeAnalyzer.shared(getLanguage('python'));

function scoreAll(): void {
  analyzer.clearCache();
  for (const { reference, hypothesis } of pairs) {
    corpusSyntaxMatch([[reference]], [hypothesis]);
    corpusDataflowMatch([[reference]], [hypothesis]);
  }
}

/** As scoreAll, but no pair profits from texts an earlier pair repeated. */
function scoreAllForgettingBetweenPairs(): void {
  for (const { reference, hypothesis } of pairs) {
    analyzer.clearCache();
    corpusSyntaxMatch([[reference]], [hypothesis]);
    corpusDataflowMatch([[reference]], [hypothesis]);
  }
}

function corpusOnce(): void {
  analyzer.clearCache();
  const references = pairs.map((pair) => [pair.reference]);
  const hypotheses = pairs.map((pair) => pair.hypothesis);
  corpusSyntaxMatch(references, hypotheses);
  corpusDataflowMatch(references, hypotheses);
}

/**
 * Seconds of one run after warming up: median and best of `repetitions` (the machine is shared,
 * so both). V8 first runs WebAssembly through its baseline compiler and optimises the parser's
 * hot functions only after a few hundred parses, so the timed runs start once two seconds of
 * runs have gone by.
 */
function timeRuns(run: () => void, repetitions: number): { median: number; best: number } {
  const warmUpUntil = performance.now() + 2000;
  do run();
  while (performance.now() < warmUpUntil);
  const seconds: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const start = performance.now();
    run();
    seconds.push((performance.now() - start) / 1000);
  }
  seconds.sort((a, b) => a - b);
  return { median: seconds[Math.floor(repetitions / 2)], best: seconds[0] };
}

const REFERENCE_PAIRS_PER_S = 1170; // k4black/codebleu 0.7.1, one core, from the oracle README
const perPair = timeRuns(scoreAll, 15);
const perPairForgetting = timeRuns(scoreAllForgettingBetweenPairs, 15);
const corpus = timeRuns(corpusOnce, 15);
const pairsPerSecond = (seconds: number) => Math.round(pairs.length / seconds);
console.log(
  JSON.stringify({
    bench: 'codebleu_syntax_dataflow',
    pairs: pairs.length,
    distinct_texts: new Set(pairs.flatMap((pair) => [pair.reference, pair.hypothesis])).size,
    pairs_per_s: pairsPerSecond(perPair.median),
    pairs_per_s_best: pairsPerSecond(perPair.best),
    pairs_per_s_no_reuse_across_pairs: pairsPerSecond(perPairForgetting.median),
    corpus_call_pairs_per_s: pairsPerSecond(corpus.median),
    reference_pairs_per_s: REFERENCE_PAIRS_PER_S,
    speedup_vs_reference: Number((pairs.length / perPair.median / REFERENCE_PAIRS_PER_S).toFixed(2)),
  }),
);
