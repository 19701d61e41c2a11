import path from 'node:path';
import { ensureDir, writeJsonDurable } from '@codistill/util';
import { chatPrompt, evaluateSamples, fingerprintOf, generateSamples, loadBenchmark, type BenchmarkName, type GeneratedSample, type HarnessTask, type SandboxOptions } from '@codistill/harness';
import { resolveModel, TokenScorer, type TextTokenizer } from '@codistill/models';
import { loadGenerator, loadStudent, type StudentOptions } from '../load-generator.js';
import type { Progress } from '../progress.js';
import { readJsonIfPresent } from '../run/files.js';
import { modelIdentity } from './model-identity.js';

/** Row labels as the paper's Table 1 prints them. */
export const BENCHMARK_LABELS: Record<BenchmarkName, string> = { humaneval: 'HumanEval', humanevalplus: 'HumanEval+', mbpp: 'MBPP', mbppplus: 'MBPP+' };

export interface CompareOptions {
  /** Student checkpoint folder or Hub id. */
  model: string;
  /** PEFT adapter: the fine-tuned model; without it only the base model is evaluated. */
  adapter?: string;
  /** Benchmark files, by benchmark. */
  benchmarks: Partial<Record<BenchmarkName, string>>;
  /** First N tasks of each benchmark. */
  limit?: number;
  maxNewTokens: number;
  promptStyle: 'completion' | 'chat';
  workers?: number;
  timeoutSeconds?: number;
  /** bubblewrap or the process fallback (default: bubblewrap when available). */
  sandbox?: SandboxOptions['sandbox'];
  requireSandbox?: boolean;
  /** The Python that runs the tests (default python3). */
  python?: string;
  threads?: number;
  provider?: StudentOptions['provider'];
  allowCpuFallback?: boolean;
  /** Folder for samples, verdicts and per-model perplexities; everything resumes from it. */
  out: string;
  signal?: AbortSignal;
  /** One bar per model and phase. */
  progress: (label: string, fields?: string[]) => Progress;
}

/** What the report shows (see report/data.ts), computed for the base and, with an adapter, the fine-tuned model. */
export interface Comparison {
  passAt1: Array<{ benchmark: string; tasks: number; base: number; tuned: number | null }>;
  codebleu: { pairs: number; base: { syntax: number; dataflow: number }; tuned: { syntax: number; dataflow: number } | null };
  questionPerplexity: { base: number[]; tuned: number[] | null };
  tokenPerplexity?: { task: string; base: number[]; tuned: number[] | null };
}

type Variant = 'base' | 'tuned';

/** The stop strings EvalPlus uses for base models: the function is done when top-level code starts. */
const COMPLETION_STOPS = ['\ndef ', '\nclass ', '\nif __name__', '\nprint(', '\nassert '];

function promptFor(task: HarnessTask, style: CompareOptions['promptStyle'], tokenizer: TextTokenizer): string {
  if (style === 'completion') return task.zeroShot.completionPrompt;
  const { messages, responsePrefix } = chatPrompt(task.zeroShot);
  return tokenizer.renderChat(messages) + responsePrefix;
}

interface VariantResult {
  summaries: Record<string, { tasks: number; passAt1: number }>;
  samples: GeneratedSample[];
  questionPerplexity: number[];
  tokenPerplexity?: { task: string; values: number[] };
}

/**
 * Zero-shot pass@1 of the base model and the fine-tuned one (base + adapter) on each benchmark,
 * their CodeBLEU syntax/dataflow match against the reference solutions, the question perplexity
 * of every task and the per-token perplexity of both along one solution the first model wrote.
 * One model is loaded at a time; every piece is written as it finishes, so a rerun resumes.
 */
export async function compareModels(o: CompareOptions): Promise<Comparison> {
  const tasks = new Map<BenchmarkName, HarnessTask[]>();
  for (const [name, file] of Object.entries(o.benchmarks) as Array<[BenchmarkName, string]>) {
    const all = await loadBenchmark(name, file);
    tasks.set(name, o.limit ? all.slice(0, o.limit) : all);
  }
  if (tasks.size === 0) throw new Error('no benchmark given: name at least one benchmark file');
  // The fine-tuned model goes first: its first solution is the text both models are scored along (Figure 2).
  const variants: Variant[] = o.adapter ? ['tuned', 'base'] : ['base'];
  const results = new Map<Variant, VariantResult>();
  let figure: Figure | undefined;
  const modelDir = await resolveModel(o.model);
  for (const variant of variants) {
    const dir = path.join(o.out, variant);
    ensureDir(dir);
    const student = { adapter: variant === 'tuned' ? o.adapter : undefined, threads: o.threads, provider: o.provider, allowCpuFallback: o.allowCpuFallback };
    // Samples and perplexities are reused on a rerun only when made by this model, adapter and settings.
    const identity = { ...modelIdentity(modelDir, student.adapter), maxNewTokens: o.maxNewTokens, promptStyle: o.promptStyle };
    const samples = await generateAll(o, variant, dir, tasks, student, identity);
    const summaries = await checkAll(o, variant, dir, tasks, samples);
    const flat = [...tasks.values()].flat();
    const solutions = [...samples.values()].flat();
    if (!figure) {
      const index = solutions.findIndex((s) => s.output.trim() !== '');
      if (index >= 0) figure = { task: flat[index], output: solutions[index].output };
    }
    const scored = await scoreAll(o, variant, dir, flat, student, fingerprintOf(identity, flat.map((t) => t.zeroShot), figure?.output ?? null), figure);
    results.set(variant, { summaries, samples: solutions, ...scored });
  }
  return combine(tasks, results, await metrics());
}

async function generateAll(o: CompareOptions, variant: Variant, dir: string, tasks: Map<BenchmarkName, HarnessTask[]>, student: StudentOptions, identity: unknown) {
  const samples = new Map<BenchmarkName, GeneratedSample[]>();
  let loaded: Awaited<ReturnType<typeof loadGenerator>> | undefined;
  try {
    for (const [name, list] of tasks) {
      const bar = o.progress(`generate ${variant} ${BENCHMARK_LABELS[name]}`);
      const complete = async (task: HarnessTask) => {
        loaded ??= await loadGenerator(o.model, student);
        const { tokenizer, generator } = loaded;
        const stop = o.promptStyle === 'completion' ? COMPLETION_STOPS : ['\n```'];
        const result = await generator.generateText(tokenizer, [promptFor(task, o.promptStyle, tokenizer)], { maxNewTokens: o.maxNewTokens, stop });
        return result.texts![0];
      };
      samples.set(name, await generateSamples(list, complete, { out: path.join(dir, `${name}.samples.jsonl`), identity, signal: o.signal, onSample: (_s, done, total) => bar.update(done, total) }));
      bar.stop();
    }
  } finally {
    await loaded?.generator.release();
  }
  return samples;
}

async function checkAll(o: CompareOptions, variant: Variant, dir: string, tasks: Map<BenchmarkName, HarnessTask[]>, samples: Map<BenchmarkName, GeneratedSample[]>) {
  const summaries: VariantResult['summaries'] = {};
  for (const [name, list] of tasks) {
    const bar = o.progress(`test ${variant} ${BENCHMARK_LABELS[name]}`);
    let done = 0;
    const { summary } = await evaluateSamples(list, samples.get(name)!, {
      out: path.join(dir, `${name}.results.jsonl`),
      workers: o.workers,
      timeoutSeconds: o.timeoutSeconds,
      sandbox: o.sandbox,
      requireSandbox: o.requireSandbox,
      python: o.python,
      signal: o.signal,
      onResult: () => bar.update(++done, list.length),
    });
    bar.stop();
    summaries[name] = { tasks: summary.tasks, passAt1: summary['pass@1'] };
  }
  return summaries;
}

/** The solution both models are scored along for the per-token perplexity plot. */
interface Figure {
  task: HarnessTask;
  output: string;
}

interface Scored {
  /** What the values were computed from (model, adapter, settings, questions, scored text): reused only when it matches. */
  fingerprint: string;
  questionPerplexity: number[];
  tokenPerplexity?: { task: string; values: number[] };
}

/** Question perplexities of every task and the Figure 2 curve, cached in <dir>/perplexity.json. */
async function scoreAll(o: CompareOptions, variant: Variant, dir: string, tasks: HarnessTask[], student: StudentOptions, fingerprint: string, figure?: Figure): Promise<Scored> {
  const file = path.join(dir, 'perplexity.json');
  const cached = await readJsonIfPresent<Scored>(file);
  if (cached?.fingerprint === fingerprint) return cached;
  if (cached) throw new Error(`${file} was computed for another model, adapter, settings or task list; use a new --out folder or delete it to start over`);
  const { tokenizer, checkpoint, options } = await loadStudent(o.model, student);
  const scorer = await TokenScorer.create(checkpoint, options);
  const { questionPerplexity } = await metrics();
  try {
    const bar = o.progress(`perplexity ${variant}`);
    const score = async (text: string) => [null, ...(await scorer.logprobs(tokenizer.encode(text)))];
    const questionPerplexities: number[] = [];
    for (const task of tasks) {
      o.signal?.throwIfAborted();
      questionPerplexities.push(await questionPerplexity(task.zeroShot.problem, score));
      bar.update(questionPerplexities.length, tasks.length);
    }
    bar.stop();
    const scored: Scored = { fingerprint, questionPerplexity: questionPerplexities };
    if (figure) {
      const prompt = tokenizer.encode(promptFor(figure.task, o.promptStyle, tokenizer));
      const output = tokenizer.encode(figure.output, false);
      const logprobs = await scorer.logprobs([...prompt, ...output]);
      scored.tokenPerplexity = { task: figure.task.taskId, values: logprobs.slice(-output.length).map((lp) => Math.exp(-lp)) };
    }
    writeJsonDurable(file, scored);
    return scored;
  } finally {
    await scorer.release();
  }
}

/** Loaded on use: importing the metrics compiles tree-sitter's WASM parser and grammar, which commands that never score code should not pay for. */
const metrics = () => import('@codistill/metrics');

function structural(tasks: HarnessTask[], samples: GeneratedSample[], { corpusDataflowMatch, corpusSyntaxMatch }: Awaited<ReturnType<typeof metrics>>) {
  const references = tasks.map((t) => [t.canonicalSolution]);
  const hypotheses = samples.map((s) => s.solution);
  return { syntax: corpusSyntaxMatch(references, hypotheses), dataflow: corpusDataflowMatch(references, hypotheses) };
}

function combine(tasks: Map<BenchmarkName, HarnessTask[]>, results: Map<Variant, VariantResult>, m: Awaited<ReturnType<typeof metrics>>): Comparison {
  const base = results.get('base')!;
  const tuned = results.get('tuned');
  const flat = [...tasks.values()].flat();
  const percent = (x: number) => Math.round(x * 10000) / 100;
  const comparison: Comparison = {
    passAt1: [...tasks.keys()].map((name) => ({
      benchmark: BENCHMARK_LABELS[name],
      tasks: base.summaries[name].tasks,
      base: percent(base.summaries[name].passAt1),
      tuned: tuned ? percent(tuned.summaries[name].passAt1) : null,
    })),
    codebleu: { pairs: flat.length, base: structural(flat, base.samples, m), tuned: tuned ? structural(flat, tuned.samples, m) : null },
    questionPerplexity: { base: base.questionPerplexity, tuned: tuned?.questionPerplexity ?? null },
  };
  const curve = (tuned ?? base).tokenPerplexity;
  if (curve) comparison.tokenPerplexity = { task: curve.task, base: base.tokenPerplexity!.values, tuned: tuned ? curve.values : null };
  return comparison;
}
