// CodeBLEU throughput per language on the golden pairs, each pair scored from scratch: the
// per-text cache is emptied before every pair, so nothing is reused across pairs (only a
// pair's own calls share its parses; parsers, grammars and buffers are set up once per
// process, as the reference's are). Two workloads: `calc_codebleu` (one calcCodeBleu call per
// pair) and `syntax_dataflow` (one corpusSyntaxMatch and one corpusDataflowMatch call per pair).
// Prints one JSON line per language, with the reference's figures for the same workload on the
// same pairs where k4black/codebleu imports on this machine, and null with the reason where it
// does not (never a figure recorded elsewhere).
//
// The reference runs under CODEBLEU_REFERENCE_PYTHON (default `python3`; see README "Reproducing
// the reference" for a from-source build), in one process per language that scores a pass over
// the pairs whenever the bench asks (bench/reference-timing.py). Ours and the reference are
// interleaved, BENCH_ROUNDS rounds per workload (default 30): each round times a block of our
// passes (see timeBlock) and then one pass of the reference's, so both sides of a round's ratio
// come from the same quarter of a second of a shared machine, whose speed swings by tens of
// percent within minutes. The ratios printed are medians of the rounds' ratios (with their
// quartiles), the throughputs medians of the rounds. Pin to one core: `taskset -c 1 pnpm bench` (the reference
// inherits it). `parser` names the parser that read the trees (`native_build` how the native one
// was built: compiler, flags, whether profile-guided): `native` where scripts/build-native.mjs has
// built it, else `wasm-memory`; CODISTILL_METRICS_NATIVE=0 forces the WebAssembly one, for
// comparing the two.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { median } from '@codistill/util';
import { CodeAnalyzer } from '../src/analysis.js';
import { calcCodeBleu, corpusDataflowMatch, corpusSyntaxMatch, loadLanguage } from '../src/index.js';
import { nativeBuild } from '../src/native-tree-reader.js';
import { languagesOfThisProcess, readPairs, type Pair } from './golden-pairs.js';

/** Untimed runs of each workload when a language's process starts (see below). */
const PROCESS_WARM_UP_MS = 3000;
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 30));
/** Our passes per round: at least this many, and for at least this long (see timeBlock). */
const BLOCK_PASSES = 3;
const BLOCK_MS = 100;
const REFERENCE_PYTHON = process.env.CODEBLEU_REFERENCE_PYTHON || 'python3';

/** Runs `run` untimed for `ms` milliseconds. */
function warmUp(run: () => void, ms: number): void {
  const until = performance.now() + ms;
  do run();
  while (performance.now() < until);
}

/** Wall-clock and process CPU seconds of one pass (CPU: user + system, all threads). */
interface Pass {
  s: number;
  cpu_s: number;
}

function timePass(run: () => void): Pass {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  run();
  const s = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { s, cpu_s: (cpu.user + cpu.system) / 1e6 };
}

/**
 * Our side of a round: at least BLOCK_PASSES passes and at least BLOCK_MS of them (about one pass
 * of the reference's), their median. The reference's pass evicts our code and data
 * from the caches; a single pass of ours after it (a tenth of its length) ran 10-15 % slower than
 * passes in a row, a cost that a scoring loop pays once, not per pair.
 */
function timeBlock(run: () => void): Pass {
  const passes: Pass[] = [];
  const until = performance.now() + BLOCK_MS;
  do passes.push(timePass(run));
  while (passes.length < BLOCK_PASSES || performance.now() < until);
  return { s: median(passes.map((pass) => pass.s)), cpu_s: median(passes.map((pass) => pass.cpu_s)) };
}

type Workload = 'calc' | 'structural';

/** k4black/codebleu in a process of its own, timing one pass over the pairs per request. */
class Reference {
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    // A reference that exits early (codebleu not importable) must not fail the writes.
    child.stdin.on('error', () => {});
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  /** The reference, ready to time passes, or why it could not start on this machine. */
  static async start(lang: string, pairs: Pair[]): Promise<Reference | { why: string }> {
    const script = new URL('./reference-timing.py', import.meta.url).pathname;
    const reference = new Reference(spawn(REFERENCE_PYTHON, [script, lang]));
    reference.child.on('error', (error) => (reference.stderr += error.message));
    reference.child.stdin.write(`${JSON.stringify(pairs)}\n`);
    const ready = await reference.lines.next();
    if (!ready.done) return reference;
    const why = reference.stderr.trim().split('\n').pop() || 'it exited without a word';
    return { why: `k4black/codebleu did not run on this machine (${REFERENCE_PYTHON}): ${why}` };
  }

  async pass(workload: Workload): Promise<Pass> {
    this.child.stdin.write(`${workload}\n`);
    const line = await this.lines.next();
    if (line.done) throw new Error(`the reference stopped: ${this.stderr.trim()}`);
    return JSON.parse(line.value) as Pass;
  }

  close(): void {
    this.child.stdin.end();
  }
}

interface Side {
  ours: Pass[];
  reference: Pass[];
}

const quartiles = (values: number[]): number[] => {
  const sorted = [...values].sort((a, b) => a - b);
  return [0.25, 0.5, 0.75].map((q) => +sorted[Math.round(q * (sorted.length - 1))].toFixed(2));
};

/** The figures of one workload: ours, and the reference's with the ratios where it ran. */
function report(side: Side, pairs: number, referenceWhy: string | undefined) {
  const pairsPerSecond = (seconds: number) => Math.round(pairs / seconds);
  const figures = {
    pairs_per_s: pairsPerSecond(median(side.ours.map((pass) => pass.s))),
    pairs_per_s_best: pairsPerSecond(Math.min(...side.ours.map((pass) => pass.s))),
    pairs_per_cpu_s: pairsPerSecond(median(side.ours.map((pass) => pass.cpu_s))),
  };
  if (!side.reference.length) return { ...figures, reference_pairs_per_s: null, reference_not_run: referenceWhy };
  const ratios = side.ours.map((pass, i) => side.reference[i].s / pass.s);
  const cpuRatios = side.ours.map((pass, i) => side.reference[i].cpu_s / pass.cpu_s);
  return {
    ...figures,
    reference_pairs_per_s: pairsPerSecond(median(side.reference.map((pass) => pass.s))),
    reference_pairs_per_cpu_s: pairsPerSecond(median(side.reference.map((pass) => pass.cpu_s))),
    // Each round's reference pass over the ours just before it.
    speedup_vs_reference: +median(ratios).toFixed(2),
    speedup_quartiles: quartiles(ratios),
    cpu_speedup_vs_reference: +median(cpuRatios).toFixed(2),
    // The least disturbed pass of each side.
    best_cpu_speedup_vs_reference: +(Math.min(...side.reference.map((pass) => pass.cpu_s)) / Math.min(...side.ours.map((pass) => pass.cpu_s))).toFixed(2),
  };
}

for (const lang of languagesOfThisProcess()) {
  const analyzer = CodeAnalyzer.shared(await loadLanguage(lang));
  const pairs = readPairs(lang);
  const eachFromScratch = (score: (pair: Pair) => void) => () => {
    for (const pair of pairs) {
      analyzer.clearCache();
      score(pair);
    }
  };
  const workloads: Record<Workload, () => void> = {
    calc: eachFromScratch(({ reference, hypothesis }) => calcCodeBleu([reference], [hypothesis], lang)),
    structural: eachFromScratch(({ reference, hypothesis }) => {
      corpusSyntaxMatch([[reference]], [hypothesis], lang);
      corpusDataflowMatch([[reference]], [hypothesis], lang);
    }),
  };
  const sides: Record<Workload, Side> = { calc: { ours: [], reference: [] }, structural: { ours: [], reference: [] } };
  // Pinned to one core, V8's optimising compiler runs on the same core as the timed runs: in a new
  // process the first passes came out 30-50 % slower than the later ones until every workload's
  // hot code had been compiled, so the process warms both up first.
  for (const run of Object.values(workloads)) warmUp(run, PROCESS_WARM_UP_MS);
  const reference = await Reference.start(lang, pairs);
  const referenceWhy = 'why' in reference ? reference.why : undefined;
  for (let round = 0; round < ROUNDS; round++) {
    for (const workload of ['calc', 'structural'] as const) {
      sides[workload].ours.push(timeBlock(workloads[workload]));
      if (!('why' in reference)) sides[workload].reference.push(await reference.pass(workload));
    }
  }
  if (!('why' in reference)) reference.close();
  console.log(
    JSON.stringify({
      bench: 'codebleu_from_scratch',
      lang,
      parser: analyzer.parser,
      native_build: analyzer.parser === 'native' ? nativeBuild() : null,
      pairs: pairs.length,
      rounds: ROUNDS,
      calc_codebleu: report(sides.calc, pairs.length, referenceWhy),
      syntax_dataflow: report(sides.structural, pairs.length, referenceWhy),
    }),
  );
}
