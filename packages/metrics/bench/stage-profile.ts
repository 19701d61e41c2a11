// Where one pair's time goes, per language: the steps of scoring a golden pair from scratch
// (fresh interners, both texts), timed inside the same flow as `CodeAnalyzer.featuresOf`, in µs
// per pair: for each step the least total over REPETITIONS passes after a second of warm-up (the
// machine is shared; the least is the least disturbed). `npx tsx bench/stage-profile.ts [lang ...]`,
// pinned to one core like the main bench. The steps:
//   ngram     strip, tokenise, BLEU and weighted n-gram match (calcCodeBleu only)
//   comments  comment removal
//   parse     the cleaned text's parse: native (parse and node records in one call), or
//             web-tree-sitter's with freeing the tree (CODISTILL_METRICS_NATIVE=0 or not built)
//   read      the records' conversion into a FlatTree, or the copy out of WASM memory
//   syntax    subtree interning (in C with the native parser: NativeTreeReader's collectSubtrees), sorted ids
//   dataflow  token table, DFG rules, merge, normalisation, interning, sorted ids
//   match     both multiset matches
// `structural` is the main bench's syntax + data-flow workload end to end, untimed inside
// (corpusSyntaxMatch and corpusDataflowMatch per pair), and `calc` calcCodeBleu's, both best of
// REPETITIONS passes of CPU time.
import type { Parser } from 'web-tree-sitter';
import { CodeAnalyzer } from '../src/analysis.js';
import { corpusBleu, corpusWeightedNgramMatch, NgramCorpus } from '../src/bleu.js';
import { internEdges, matchDataflow } from '../src/dataflow.js';
import { calcCodeBleu, corpusDataflowMatch, corpusSyntaxMatch, loadLanguage, type CodeLanguage } from '../src/index.js';
import { SortedIdPool } from '../src/multiset.js';
import { pySplit, pyStrip } from '../src/python-text.js';
import type { SequenceInterner } from '../src/sequence-interner.js';
import { collectSubtrees, matchSubtrees } from '../src/syntax.js';
import { treeAddress } from '../src/tree-sitter-wasm.js';
import type { FlatTree } from '../src/tree.js';
import { languagesOfThisProcess, readPairs, type Pair } from './golden-pairs.js';

const REPETITIONS = 15;
const STEPS = ['ngram', 'comments', 'parse', 'read', 'syntax', 'dataflow', 'match'] as const;
type Step = (typeof STEPS)[number];

/**
 * The analyzer's tree reader, taken apart so that the parse and the walk can be timed apart:
 * web-tree-sitter's parse and the read of its memory, or the native parse (which also writes the
 * node records) and the records' conversion into a FlatTree.
 */
type ReaderInternals =
  | { kind: 'wasm-memory'; parser: Parser; read(address: number, source: string, reuse?: FlatTree): FlatTree }
  | {
      kind: 'native';
      parseRecords(source: string): number;
      toFlatTree(source: string, count: number, reuse?: FlatTree): FlatTree;
      collectSubtrees(ids: object): Int32Array;
    };

/** The previous text's tree, whose arrays the next one reuses, as in featuresOf. */
let scratchTree: FlatTree | undefined;

function parseAndRead(reader: ReaderInternals, clean: string, lap: (step: Step) => void): FlatTree {
  if (reader.kind === 'native') {
    const count = reader.parseRecords(clean);
    lap('parse');
    const tree = (scratchTree = reader.toFlatTree(clean, count, scratchTree));
    lap('read');
    return tree;
  }
  const parsed = reader.parser.parse(clean);
  if (!parsed) throw new Error('tree-sitter returned no tree');
  lap('parse');
  const tree = (scratchTree = reader.read(treeAddress(parsed), clean, scratchTree));
  lap('read');
  parsed.delete();
  lap('parse');
  return tree;
}

/** One pass over the pairs, each scored from scratch as featuresOf does it; adds each step's milliseconds to `totals`. */
function timedPass(pairs: Pair[], language: CodeLanguage, analyzer: CodeAnalyzer, totals: Record<Step, number>): void {
  const reader = (analyzer as unknown as { reader: ReaderInternals }).reader;
  // Made once per language, as calcCodeBleu does.
  const keywords = new Set(language.keywords);
  let last = performance.now();
  const lap = (step: Step) => {
    const now = performance.now();
    totals[step] += now - last;
    last = now;
  };
  for (const pair of pairs) {
    const corpus = new NgramCorpus([[pySplit(pyStrip(pair.reference))]], [pySplit(pyStrip(pair.hypothesis))]);
    corpusBleu(corpus);
    corpusWeightedNgramMatch(corpus, keywords);
    lap('ngram');
    // As clearCache leaves them for each pair of the main bench.
    analyzer.clearCache();
    const subtreeIds = analyzer.interner;
    const nativeSubtreeIds = (analyzer as unknown as { native?: { subtreeIds: object } }).native?.subtreeIds;
    const edgeIds = (analyzer as unknown as { edgeIds: SequenceInterner }).edgeIds;
    const idLists = (analyzer as unknown as { idLists: SortedIdPool }).idLists;
    const features = [pair.reference, pair.hypothesis].map((text) => {
      const clean = language.removeComments(pyStrip(text));
      lap('comments');
      const tree = parseAndRead(reader, clean, lap);
      const subtrees = idLists.sorted(reader.kind === 'native' ? reader.collectSubtrees(nativeSubtreeIds as object) : collectSubtrees(tree, subtreeIds));
      lap('syntax');
      const dataflow = idLists.sorted(internEdges(analyzer.rawDataflow(tree), edgeIds));
      lap('dataflow');
      return { subtrees, dataflow };
    });
    matchSubtrees(features[1].subtrees, features[0].subtrees);
    matchDataflow(features[1].dataflow, features[0].dataflow);
    lap('match');
  }
}

/** Least µs per pair of each step over REPETITIONS timed passes, after a second of untimed ones. */
function stepMicros(pairs: Pair[], language: CodeLanguage, analyzer: CodeAnalyzer): Record<Step, number> {
  const zero = () => Object.fromEntries(STEPS.map((step) => [step, 0])) as Record<Step, number>;
  const warmUpUntil = performance.now() + 1000;
  do timedPass(pairs, language, analyzer, zero());
  while (performance.now() < warmUpUntil);
  const least = Object.fromEntries(STEPS.map((step) => [step, Infinity])) as Record<Step, number>;
  for (let i = 0; i < REPETITIONS; i++) {
    const totals = zero();
    timedPass(pairs, language, analyzer, totals);
    for (const step of STEPS) least[step] = Math.min(least[step], (totals[step] * 1000) / pairs.length);
  }
  return least;
}

/** Least CPU µs per pair of one pass, after a second of warm-up. */
function cpuMicros(pairs: number, pass: () => void): number {
  const warmUpUntil = performance.now() + 1000;
  do pass();
  while (performance.now() < warmUpUntil);
  let least = Infinity;
  for (let i = 0; i < REPETITIONS; i++) {
    const start = process.cpuUsage();
    pass();
    const used = process.cpuUsage(start);
    least = Math.min(least, (used.user + used.system) / pairs);
  }
  return least;
}

for (const lang of languagesOfThisProcess()) {
  const language = await loadLanguage(lang);
  const analyzer = CodeAnalyzer.shared(language);
  const pairs = readPairs(lang);
  const steps = stepMicros(pairs, language, analyzer);
  const fromScratch = (score: (pair: Pair) => void) => () => {
    for (const pair of pairs) {
      analyzer.clearCache();
      score(pair);
    }
  };
  const structural = cpuMicros(
    pairs.length,
    fromScratch(({ reference, hypothesis }) => {
      corpusSyntaxMatch([[reference]], [hypothesis], lang);
      corpusDataflowMatch([[reference]], [hypothesis], lang);
    }),
  );
  const calc = cpuMicros(pairs.length, fromScratch(({ reference, hypothesis }) => calcCodeBleu([reference], [hypothesis], lang)));
  const chars = pairs.reduce((sum, { reference, hypothesis }) => sum + reference.length + hypothesis.length, 0) / pairs.length;
  const round = (value: number) => Number(value.toFixed(1));
  console.log(
    JSON.stringify({
      bench: 'stage_profile_us_per_pair',
      lang,
      parser: analyzer.parser,
      pairs: pairs.length,
      chars_per_pair: Math.round(chars),
      ...Object.fromEntries(STEPS.map((step) => [step, round(steps[step])])),
      structural: round(structural),
      calc: round(calc),
    }),
  );
}
