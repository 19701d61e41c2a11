import path from 'node:path';
import { requireProvider } from '@codistill/graph';
import { chatPrompt, collectSamples, evalPlusResults, evaluateSamples, fingerprintOf, loadBenchmark, type BenchmarkName, type CollectedSample, type HarnessTask, type SandboxOptions } from '@codistill/harness';
import { loadModelWithAdapter, resolveAdapter, type LoadWithAdapterOptions } from '@codistill/lora';
import { Generator, parseCausalLmConfig, resolveModel, TokenScorer, type TextTokenizer } from '@codistill/models';
import { ensureDir, readJsonIfPresent, writeJsonDurable } from '@codistill/util';
import { modelIdentity } from './model-identity.js';

/** Row labels as the paper's Table 1 prints them. */
export const BENCHMARK_LABELS: Record<BenchmarkName, string> = { humaneval: 'HumanEval', humanevalplus: 'HumanEval+', mbpp: 'MBPP', mbppplus: 'MBPP+' };

export interface CompareOptions {
  /** Student checkpoint folder or Hub id. */
  model: string;
  /** Branch, tag or commit of a Hub `model` (default main). */
  revision?: string;
  /** PEFT adapter: the fine-tuned model; without it only the base model is evaluated. */
  adapter?: string;
  /** Branch, tag or commit of a Hub `adapter` (default main). */
  adapterRevision?: string;
  /** Benchmark files, by benchmark. */
  benchmarks: Partial<Record<BenchmarkName, string>>;
  /** First N tasks of each benchmark. */
  limit?: number;
  maxNewTokens: number;
  promptStyle: 'completion' | 'chat';
  /** Tasks decoded at once (default: defaultBatchSize, memory-aware). The samples are the same whatever it is. */
  batchSize?: number;
  workers?: number;
  timeoutSeconds?: number;
  /** bubblewrap or the process fallback (default: bubblewrap when available). */
  sandbox?: SandboxOptions['sandbox'];
  requireSandbox?: boolean;
  /** The Python that runs the tests (default python3). */
  python?: string;
  threads?: number;
  provider?: LoadWithAdapterOptions['provider'];
  allowCpuFallback?: boolean;
  /** Folder for samples, verdicts and per-model perplexities; everything resumes from it. */
  out: string;
  signal?: AbortSignal;
  /** One bar per model and phase (default: none). */
  progress?: (label: string, fields?: string[]) => ProgressBar;
}

/** Where a long phase reports how far it is: done of total, then stop. */
export interface ProgressBar {
  update(done: number, total: number): void;
  stop(): void;
}

/** What `codistill run`'s report shows, computed for the base and, with an adapter, the fine-tuned model. */
export interface Comparison {
  passAt1: Array<{ benchmark: string; tasks: number; base: number; tuned: number | null }>;
  codebleu: { pairs: number; base: { syntax: number; dataflow: number }; tuned: { syntax: number; dataflow: number } | null };
  questionPerplexity: { base: number[]; tuned: number[] | null };
  tokenPerplexity?: { task: string; base: number[]; tuned: number[] | null };
}

type Variant = 'base' | 'tuned';

const barFor = (o: CompareOptions, label: string): ProgressBar => o.progress?.(label) ?? { update: () => {}, stop: () => {} };

/** The stop strings EvalPlus uses for base models: the function is done when top-level code starts. */
export const COMPLETION_STOPS = ['\ndef ', '\nclass ', '\nif __name__', '\nprint(', '\nassert '];

/** Float32 KV cache the memory-aware default batch size may fill (see defaultBatchSize). */
const KV_CACHE_BUDGET_BYTES = 2 ** 30;
/** The most tasks the default decodes at once: on GPU providers, and on the CPU (see defaultBatchSize). */
const MAX_DEFAULT_BATCH = { gpu: 32, cpu: 8 };

/**
 * Tasks decoded at once when no batch size is given: as many rows as fit KV_CACHE_BUDGET_BYTES of
 * KV cache, where a row holds 2 (keys and values) x layers x kv_heads x head_dim x 4 bytes
 * (float32) for each of its `tokensPerRow` tokens (the longest prompt plus max_new_tokens); at
 * least 1, at most MAX_DEFAULT_BATCH. The CPU's cap is lower because its matrix products are
 * already compute-bound at a few rows, so more rows mostly add padding and waiting: on the 58M
 * model (32 HumanEval prompts, 64 new tokens, 2 threads) batch 8 decoded 2.3-2.5 tasks/s, 16 2.2,
 * 32 2.0, batch 1 1.2-1.7 (compare's bench, README). `config` is the model's config.json.
 */
export function defaultBatchSize(config: Record<string, unknown>, tokensPerRow: number, provider: LoadWithAdapterOptions['provider'] = 'cpu'): number {
  const { numLayers, numKvHeads, headDim } = parseCausalLmConfig(config);
  const bytesPerRow = 2 * numLayers * numKvHeads * headDim * 4 * tokensPerRow;
  const cap = provider === 'cpu' ? MAX_DEFAULT_BATCH.cpu : MAX_DEFAULT_BATCH.gpu;
  return Math.max(1, Math.min(cap, Math.floor(KV_CACHE_BUDGET_BYTES / bytesPerRow)));
}

/** The order tasks are decoded in: longest prompt first (ties in task order), so the rows of a batch need little padding. */
export const decodeOrder = (promptTokens: readonly number[]): number[] => [...promptTokens.keys()].sort((a, b) => promptTokens[b] - promptTokens[a] || a - b);

function promptFor(task: HarnessTask, style: CompareOptions['promptStyle'], tokenizer: TextTokenizer): string {
  if (style === 'completion') return task.zeroShot.completionPrompt;
  const { messages, responsePrefix } = chatPrompt(task.zeroShot);
  return tokenizer.renderChat(messages) + responsePrefix;
}

/**
 * generation_config.json's repetition_penalty, which generation applies (as transformers' generate
 * does) since it was ignored: samples made before without it are not these.
 */
async function penaltyMark(modelDir: string): Promise<{ repetitionPenalty?: unknown }> {
  const penalty = (await readJsonIfPresent<{ repetition_penalty?: unknown }>(path.join(modelDir, 'generation_config.json')))?.repetition_penalty;
  return penalty === undefined || penalty === null || penalty === 1 ? {} : { repetitionPenalty: penalty };
}

interface VariantResult {
  summaries: Record<string, { tasks: number; passAt1: number }>;
  samples: CollectedSample[];
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
  // A provider that cannot run here (CUDA without an NVIDIA GPU) fails before anything is read, fetched or made.
  await requireProvider(o.provider ?? 'cpu', '--device');
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
  const modelDir = await resolveModel(o.model, { revision: o.revision });
  const adapterDir = o.adapter && (await resolveAdapter(o.adapter, { revision: o.adapterRevision }));
  for (const variant of variants) {
    const dir = path.join(o.out, variant);
    ensureDir(dir);
    const student = { revision: o.revision, adapter: variant === 'tuned' ? adapterDir : undefined, threads: o.threads, provider: o.provider, allowCpuFallback: o.allowCpuFallback };
    // Samples and perplexities are reused on a rerun only when made by this model, adapter and settings.
    // Chat prompts are encoded without a second BOS now: samples made before are not these.
    const identity = { ...modelIdentity(modelDir, student.adapter), maxNewTokens: o.maxNewTokens, promptStyle: o.promptStyle, ...(o.promptStyle === 'chat' ? { chatPrompt: 'template text without added special tokens' } : {}), ...(await penaltyMark(modelDir)) };
    const samples = await collectAll(o, variant, dir, tasks, student, identity);
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

/**
 * Each benchmark's samples, `batchSize` tasks decoded at once, in decodeOrder: little padding, and a
 * batch too big for memory fails at the start. The samples file is written in that order, the same
 * for every batch size; the samples are returned in task order. Greedy decoding gives each row of a
 * left-padded batch what it gives alone (positions and the mask follow the attention mask).
 */
async function collectAll(o: CompareOptions, variant: Variant, dir: string, tasks: Map<BenchmarkName, HarnessTask[]>, student: LoadWithAdapterOptions, identity: unknown) {
  const samples = new Map<BenchmarkName, CollectedSample[]>();
  const { tokenizer, checkpoint, options } = await loadModelWithAdapter(o.model, student);
  const stop = o.promptStyle === 'completion' ? COMPLETION_STOPS : ['\n```'];
  let generator: Generator | undefined;
  try {
    for (const [name, list] of tasks) {
      const bar = barFor(o, `generate ${variant} ${BENCHMARK_LABELS[name]}`);
      const prompts = new Map(list.map((task) => [task, promptFor(task, o.promptStyle, tokenizer)]));
      // A chat template writes its own BOS.
      const addSpecialTokens = o.promptStyle === 'completion' || tokenizer.chatNeedsSpecialTokens;
      const lengths = list.map((task) => tokenizer.encode(prompts.get(task)!, addSpecialTokens).length);
      const order = decodeOrder(lengths);
      const batchSize = o.batchSize ?? defaultBatchSize(checkpoint.config, Math.max(...lengths) + o.maxNewTokens, o.provider);
      const complete = async (batch: HarnessTask[]) => {
        generator ??= await Generator.create(checkpoint, options);
        // Greedy whatever the model's generation_config.json says (EvalPlus' greedy pass@1 passes do_sample=False).
        const result = await generator.generateText(tokenizer, batch.map((task) => prompts.get(task)!), { maxNewTokens: o.maxNewTokens, stop, addSpecialTokens, temperature: 0 });
        return result.texts!;
      };
      const out = path.join(dir, `${name}.samples.jsonl`);
      const decoded = await collectSamples(order.map((i) => list[i]), { batchSize, complete }, { out, identity, signal: o.signal, onSample: (_s, done, total) => bar.update(done, total) });
      const inTaskOrder = new Array<CollectedSample>(list.length);
      order.forEach((i, k) => (inTaskOrder[i] = decoded[k]));
      samples.set(name, inTaskOrder);
      bar.stop();
    }
  } finally {
    await generator?.release();
  }
  return samples;
}

async function checkAll(o: CompareOptions, variant: Variant, dir: string, tasks: Map<BenchmarkName, HarnessTask[]>, samples: Map<BenchmarkName, CollectedSample[]>) {
  const summaries: VariantResult['summaries'] = {};
  for (const [name, list] of tasks) {
    const bar = barFor(o, `test ${variant} ${BENCHMARK_LABELS[name]}`);
    let done = 0;
    const { summary, results } = await evaluateSamples(list, samples.get(name)!, {
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
    // EvalPlus' own results file for its benchmarks, as `codistill eval --samples` writes one, for EvalPlus' tools.
    if (name.endsWith('plus')) writeJsonDurable(path.join(dir, `${name}_eval_results.json`), evalPlusResults(list, samples.get(name)!, results, `${name}:${path.basename(o.benchmarks[name]!)}`));
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
async function scoreAll(o: CompareOptions, variant: Variant, dir: string, tasks: HarnessTask[], student: LoadWithAdapterOptions, fingerprint: string, figure?: Figure): Promise<Scored> {
  const file = path.join(dir, 'perplexity.json');
  const cached = await readJsonIfPresent<Scored>(file);
  if (cached?.fingerprint === fingerprint) return cached;
  if (cached) throw new Error(`${file} was computed for another model, adapter, settings or task list; use a new --out folder or delete it to start over`);
  const { tokenizer, checkpoint, options } = await loadModelWithAdapter(o.model, student);
  const scorer = await TokenScorer.create(checkpoint, options);
  const { questionPerplexity } = await metrics();
  try {
    const bar = barFor(o, `perplexity ${variant}`);
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

/**
 * Loaded on use: the metrics compile tree-sitter's WASM parser and the Python grammar, which callers
 * that never score code should not pay for. The grammar is loaded before any solution is scored.
 */
async function metrics() {
  const m = await import('@codistill/metrics');
  await m.loadLanguage('python');
  return m;
}

function structural(tasks: HarnessTask[], samples: CollectedSample[], { corpusDataflowMatch, corpusSyntaxMatch }: Awaited<ReturnType<typeof metrics>>) {
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
