// Generation throughput of `codistill eval` / `codistill run`'s eval stage: HumanEval prompts
// (bench/data of @codistill/harness) decoded greedily by a random 58 M-parameter Llama (the anchor
// shape) with the tiny fixture's tokenizer and EvalPlus' stop strings, one task at a time and then
// at the CPU's default batch size (defaultBatchSize), in compareModels' order (decodeOrder). The prompts are
// TASKS neighbours in that order around the median length, as one batch of a whole benchmark's run
// holds them (a few unrelated prompts would be mostly padding). Prints one JSON line: tasks/s and
// generated tokens/s of each, the speed-up, whether the texts are equal, and the minor page faults
// per task (fresh memory each step shows there: see README).
// Env: TASKS (default 32), MAX_NEW_TOKENS (64), THREADS (2), BATCH_SIZE (the default's).
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBenchmark } from '@codistill/harness';
import { Checkpoint, Generator, TextTokenizer, writeRandomLlama } from '@codistill/models';
import { COMPLETION_STOPS, decodeOrder, defaultBatchSize } from '../src/compare-models.js';

const TASKS = Number(process.env.TASKS ?? 32);
const MAX_NEW_TOKENS = Number(process.env.MAX_NEW_TOKENS ?? 64);
const THREADS = Number(process.env.THREADS ?? 2);

const packages = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const humaneval = await loadBenchmark('humaneval', path.join(packages, 'harness', 'bench', 'data', 'HumanEval.jsonl.gz'));
const dir = writeRandomLlama(mkdtempSync(path.join(os.tmpdir(), 'codistill-generate-bench-')));
cpSync(path.join(packages, 'models', 'test', 'fixtures', 'tiny-llama', 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
const tokenizer = TextTokenizer.fromDir(dir);
const checkpoint = new Checkpoint(dir);
const all = humaneval.map((t) => t.zeroShot.completionPrompt);
const allLengths = all.map((p) => tokenizer.encode(p).length);
const middle = Math.max(0, Math.floor((all.length - TASKS) / 2));
const picked = decodeOrder(allLengths).slice(middle, middle + TASKS);
const order = picked.map((i) => all[i]);
const lengths = picked.map((i) => allLengths[i]);
const defaultBatch = Number(
  process.env.BATCH_SIZE ?? defaultBatchSize(checkpoint.config, Math.max(...lengths) + MAX_NEW_TOKENS),
);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);

const generator = await Generator.create(checkpoint, { threads: THREADS });
await generator.generateText(tokenizer, order.slice(0, 2), { maxNewTokens: 2 }); // warm-up

async function decode(batchSize: number) {
  const texts: string[] = [];
  let tokens = 0;
  const faults = process.resourceUsage().minorPageFault;
  const start = performance.now();
  for (let i = 0; i < order.length; i += batchSize) {
    const result = await generator.generateText(tokenizer, order.slice(i, i + batchSize), { maxNewTokens: MAX_NEW_TOKENS, stop: COMPLETION_STOPS });
    texts.push(...result.texts!);
    tokens += result.tokenIds.reduce((n, ids) => n + ids.length, 0);
  }
  const seconds = (performance.now() - start) / 1000;
  const pageFaultsPerTask = Math.round((process.resourceUsage().minorPageFault - faults) / order.length);
  return { texts, result: { batch_size: batchSize, seconds: +seconds.toFixed(1), tasks_per_s: +(order.length / seconds).toFixed(3), tokens_per_s: +(tokens / seconds).toFixed(1), page_faults_per_task: pageFaultsPerTask } };
}

const loadBefore = loadavg();
const one = await decode(1);
const batched = await decode(defaultBatch);
await generator.release();
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    bench: 'eval generation, 58M Llama, CPU',
    cpu: os.cpus()[0]?.model,
    cpus: os.cpus().length,
    threads: THREADS,
    tasks: order.length,
    prompt_tokens: { min: Math.min(...lengths), max: Math.max(...lengths), mean: Math.round(lengths.reduce((a, b) => a + b, 0) / lengths.length) },
    max_new_tokens: MAX_NEW_TOKENS,
    // glibc settings that keep freed memory mapped (see README: they decide what batching gains here).
    malloc_env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_'))),
    batch_1: one.result,
    default_batch: batched.result,
    speedup: +(batched.result.tasks_per_s / one.result.tasks_per_s).toFixed(2),
    texts_equal: batched.texts.every((t, i) => t === one.texts[i]),
    loadavg: { before: loadBefore, after: loadavg() },
  }),
);
