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
// the reference" for a from-source build). Ours and the reference are timed alternately,
// BENCH_ALTERNATIONS times per language and workload (default 3), so that a shared machine's
// swings hit both alike; the figures are medians over the alternations. Pin to one core:
// `taskset -c 1 pnpm bench`. `parser` names the parser that read the trees (`native_build` how the
// native one was built: compiler, flags, whether profile-guided): `native` where
// scripts/build-native.mjs has built it, else `wasm-memory`; CODISTILL_METRICS_NATIVE=0 forces
// the WebAssembly one, for comparing the two.
import { spawnSync } from 'node:child_process';
import { median } from '@codistill/util';
import { CodeAnalyzer } from '../src/analysis.js';
import { calcCodeBleu, corpusDataflowMatch, corpusSyntaxMatch, loadLanguage } from '../src/index.js';
import { nativeBuild } from '../src/native-tree-reader.js';
import { languagesOfThisProcess, readPairs, type Pair } from './golden-pairs.js';

const REPETITIONS = 15;
/** Untimed runs of each workload when a language's process starts (see below). */
const PROCESS_WARM_UP_MS = 3000;
const ALTERNATIONS = Math.max(1, Number(process.env.BENCH_ALTERNATIONS ?? 3));
const REFERENCE_PYTHON = process.env.CODEBLEU_REFERENCE_PYTHON || 'python3';

/** Runs `run` untimed for `ms` milliseconds. */
function warmUp(run: () => void, ms: number): void {
  const until = performance.now() + ms;
  do run();
  while (performance.now() < until);
}

/**
 * Seconds of one run after warming up: median and best of REPETITIONS (the machine is shared,
 * so both), and the median and least process CPU seconds a run took (user + system, all
 * threads: less sensitive than wall time to other processes on the core). V8 first runs WebAssembly
 * through its baseline compiler and optimises the parser's hot functions only after a few
 * hundred parses, so the timed runs start after a second of runs.
 */
function timeRuns(run: () => void): { median: number; best: number; cpu: number; bestCpu: number } {
  warmUp(run, 1000);
  const seconds: number[] = [];
  const cpuSeconds: number[] = [];
  for (let i = 0; i < REPETITIONS; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    run();
    seconds.push((performance.now() - start) / 1000);
    const cpu = process.cpuUsage(cpuStart);
    cpuSeconds.push((cpu.user + cpu.system) / 1e6);
  }
  return { median: median(seconds), best: Math.min(...seconds), cpu: median(cpuSeconds), bestCpu: Math.min(...cpuSeconds) };
}

type Workload = 'calc' | 'structural';

/** The reference on the same pairs and workload (wall and CPU seconds), or why it could not run here. */
function referenceSeconds(lang: string, pairs: Pair[], workload: Workload): { seconds: number; cpu: number; bestCpu: number } | { why: string } {
  const script = new URL('./reference-timing.py', import.meta.url).pathname;
  const result = spawnSync(REFERENCE_PYTHON, [script, lang, String(REPETITIONS), workload], {
    input: JSON.stringify(pairs),
    encoding: 'utf8',
  });
  if (result.status === 0) {
    const { median_s, median_cpu_s, best_cpu_s } = JSON.parse(result.stdout) as {
      median_s: number;
      median_cpu_s: number;
      best_cpu_s: number;
    };
    return { seconds: median_s, cpu: median_cpu_s, bestCpu: best_cpu_s };
  }
  const why = ((result.stderr ?? '').trim() || result.error?.message || `exit status ${result.status}`)
    .split('\n')
    .pop();
  return { why: `k4black/codebleu did not run on this machine (${REFERENCE_PYTHON}): ${why}` };
}

interface Side {
  ours: { median: number; best: number; cpu: number; bestCpu: number }[];
  reference: { seconds: number; cpu: number; bestCpu: number }[];
}

/** The figures of one workload: ours, and the reference's with the ratios where it ran. */
function report(side: Side, pairs: number, referenceWhy: string | undefined) {
  const pairsPerSecond = (seconds: number) => Math.round(pairs / seconds);
  const oursMedian = median(side.ours.map((run) => run.median));
  const oursCpu = median(side.ours.map((run) => run.cpu));
  const figures = {
    pairs_per_s: pairsPerSecond(oursMedian),
    pairs_per_s_best: pairsPerSecond(Math.min(...side.ours.map((run) => run.best))),
    pairs_per_cpu_s: pairsPerSecond(oursCpu),
  };
  if (!side.reference.length) return { ...figures, reference_pairs_per_s: null, reference_not_run: referenceWhy };
  const referenceMedian = median(side.reference.map((run) => run.seconds));
  const referenceCpu = median(side.reference.map((run) => run.cpu));
  return {
    ...figures,
    reference_pairs_per_s: pairsPerSecond(referenceMedian),
    reference_pairs_per_cpu_s: pairsPerSecond(referenceCpu),
    speedup_vs_reference: Number((referenceMedian / oursMedian).toFixed(2)),
    cpu_speedup_vs_reference: Number((referenceCpu / oursCpu).toFixed(2)),
    // The least disturbed pass of each side, over all alternations.
    best_cpu_speedup_vs_reference: Number((Math.min(...side.reference.map((run) => run.bestCpu)) / Math.min(...side.ours.map((run) => run.bestCpu))).toFixed(2)),
    per_alternation: side.ours.map((run, i) => ({
      pairs_per_s: pairsPerSecond(run.median),
      reference_pairs_per_s: i < side.reference.length ? pairsPerSecond(side.reference[i].seconds) : null,
      pairs_per_cpu_s: pairsPerSecond(run.cpu),
      reference_pairs_per_cpu_s: i < side.reference.length ? pairsPerSecond(side.reference[i].cpu) : null,
    })),
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
  let referenceWhy: string | undefined;
  // Pinned to one core, V8's optimising compiler runs on the same core as the timed runs: in a new
  // process the first alternation came out 30-50 % slower than the next ones until every
  // workload's hot code had been compiled, so the process warms both up before the first.
  for (const run of Object.values(workloads)) warmUp(run, PROCESS_WARM_UP_MS);
  // ours, reference, ours, reference, ... for each workload: each figure a median of REPETITIONS runs
  for (let i = 0; i < ALTERNATIONS; i++) {
    for (const workload of ['calc', 'structural'] as const) {
      sides[workload].ours.push(timeRuns(workloads[workload]));
      if (referenceWhy) continue;
      const reference = referenceSeconds(lang, pairs, workload);
      if ('why' in reference) referenceWhy = reference.why;
      else sides[workload].reference.push(reference);
    }
  }
  console.log(
    JSON.stringify({
      bench: 'codebleu_from_scratch',
      lang,
      parser: analyzer.parser,
      native_build: analyzer.parser === 'native' ? nativeBuild() : null,
      pairs: pairs.length,
      alternations: ALTERNATIONS,
      calc_codebleu: report(sides.calc, pairs.length, referenceWhy),
      syntax_dataflow: report(sides.structural, pairs.length, referenceWhy),
    }),
  );
}
