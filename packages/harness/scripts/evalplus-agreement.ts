// Compares the harness's verdicts with EvalPlus' own on EvalPlus eval_results files.
// Usage: tsx scripts/evalplus-agreement.ts <HumanEvalPlus.jsonl.gz> <MbppPlus.jsonl.gz> <eval_results.json[.gz]>...
//   [--min-time-limit S] [--time-limit-factor F] [--workers N]
// A results file is matched to its benchmark by its task ids (HumanEval/... or Mbpp/...).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { evaluateSamples, loadBenchmark, type HarnessTask } from '../src/index.js';

interface EvalPlusVerdict {
  solution: string;
  base_status: string;
  plus_status: string | null;
}

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  args.splice(at, 2);
  return value;
};
// EvalPlus' evaluate defaults at the commit the reference results were made with (db7bb427).
const minTimeLimit = option('--min-time-limit', 1);
const timeLimitFactor = option('--time-limit-factor', 4);
const workers = option('--workers', 0) || undefined;
const [humanEvalPlusFile, mbppPlusFile, ...resultFiles] = args;
if (!mbppPlusFile || resultFiles.length === 0) {
  console.error('usage: tsx scripts/evalplus-agreement.ts <HumanEvalPlus.jsonl.gz> <MbppPlus.jsonl.gz> <eval_results.json[.gz]>...');
  process.exit(2);
}
const benchmarks: Record<string, HarnessTask[]> = {
  HumanEval: await loadBenchmark('humanevalplus', humanEvalPlusFile),
  Mbpp: await loadBenchmark('mbppplus', mbppPlusFile),
};

const pass = (status: string | null | undefined) => status === 'pass' || status === 'passed';
const totals = { verdicts: 0, agree: 0 };
for (const file of resultFiles) {
  const bytes = readFileSync(file);
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  const reference = (JSON.parse(text) as { eval: Record<string, EvalPlusVerdict[]> }).eval;
  const entries = Object.entries(reference).map(([taskId, verdicts]) => ({ taskId, verdict: verdicts[0] }));
  const tasks = benchmarks[entries[0].taskId.split('/')[0]];
  const samples = entries.map((e) => ({ task_id: e.taskId, solution: e.verdict.solution }));
  const { results } = await evaluateSamples(tasks, samples, { minTimeLimit, timeLimitFactor, workers });
  const disagreements: unknown[] = [];
  let agreeBase = 0;
  let agreePlus = 0;
  entries.forEach((entry, i) => {
    const ours = results[i];
    const baseSame = pass(entry.verdict.base_status) === pass(ours.base?.status);
    const plusSame = pass(entry.verdict.plus_status) === pass(ours.plus?.status);
    agreeBase += baseSame ? 1 : 0;
    agreePlus += plusSame ? 1 : 0;
    if (!baseSame || !plusSame) {
      disagreements.push({ taskId: entry.taskId, evalplus: [entry.verdict.base_status, entry.verdict.plus_status], ours: [ours.base, ours.plus] });
    }
  });
  totals.verdicts += 2 * entries.length;
  totals.agree += agreeBase + agreePlus;
  console.log(JSON.stringify({ file: path.basename(file), tasks: entries.length, baseAgreement: agreeBase / entries.length, plusAgreement: agreePlus / entries.length }));
  for (const d of disagreements) console.log('  ' + JSON.stringify(d));
}
console.log(JSON.stringify({ verdicts: totals.verdicts, agreement: totals.agree / totals.verdicts, minTimeLimit, timeLimitFactor }));
