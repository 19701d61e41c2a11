// Syntax + data-flow match throughput on the 224 golden pairs, the workload the reference's
// timing uses (one syntax call and one data-flow call per pair, each pair scored alone).
// Prints one JSON line; the reference's single-core figure is in the package README.
import { readFileSync } from 'node:fs';
import { corpusDataflowMatch, corpusSyntaxMatch } from '../src/index.js';

const pairs = readFileSync(new URL('../test/fixtures/golden-dev.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as { reference: string; hypothesis: string });

function scoreAll(): void {
  for (const { reference, hypothesis } of pairs) {
    corpusSyntaxMatch([[reference]], [hypothesis]);
    corpusDataflowMatch([[reference]], [hypothesis]);
  }
}

function corpusOnce(): void {
  const references = pairs.map((pair) => [pair.reference]);
  const hypotheses = pairs.map((pair) => pair.hypothesis);
  corpusSyntaxMatch(references, hypotheses);
  corpusDataflowMatch(references, hypotheses);
}

function median(run: () => void, repetitions: number): number {
  run();
  const seconds: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const start = performance.now();
    run();
    seconds.push((performance.now() - start) / 1000);
  }
  return seconds.sort((a, b) => a - b)[Math.floor(repetitions / 2)];
}

const REFERENCE_PAIRS_PER_S = 1170; // k4black/codebleu 0.7.1, one core, from the oracle README
const perPair = pairs.length / median(scoreAll, 9);
const corpus = pairs.length / median(corpusOnce, 9);
console.log(
  JSON.stringify({
    bench: 'codebleu_syntax_dataflow',
    pairs: pairs.length,
    pairs_per_s: Math.round(perPair),
    corpus_call_pairs_per_s: Math.round(corpus),
    reference_pairs_per_s: REFERENCE_PAIRS_PER_S,
    speedup_vs_reference: Number((perPair / REFERENCE_PAIRS_PER_S).toFixed(2)),
  }),
);
