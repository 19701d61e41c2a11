import { createHash } from 'node:crypto';
import { chmodSync, chownSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ensureDir, writeJsonDurable } from '@codistill/util';
import { runInSandbox, type ResourceLimits } from './execute.js';
import type { SandboxPlan } from './sandbox.js';
import type { IoTask } from './tasks.js';

/** Canonical outputs (a pickle file, opaque to Node) and their run times, per phase. */
export interface Oracle {
  base: ExpectedOutputs;
  plus: ExpectedOutputs;
}

export interface ExpectedOutputs {
  expectedFile: string;
  /** Size of expectedFile when it was made: a cache entry whose file is gone or changed is computed again. */
  bytes: number;
  times: number[];
  /** Per input: the digest of the expected output (see output_digest in codec-source.ts), null where there is none. */
  digests: Array<string | null>;
  /** Per input: whether the expected output is floats (EvalPlus then compares with a tolerance). */
  floats: boolean[];
}

/** Entry points whose outputs (regex matches) are compared only as "is not None", as in EvalPlus. */
const OUTPUT_NOT_NONE = new Set(['check_str', 'text_match_three', 'text_starta_endb']);

function cacheKey(task: IoTask): string {
  const { dataset } = task.source;
  return createHash('sha256').update(JSON.stringify([dataset, task.taskId, task.canonicalSolution, task.source.rowJson])).digest('hex');
}

export interface OracleOptions {
  plan: SandboxPlan;
  limits: ResourceLimits;
  /** Directory for computed oracles (EvalPlus caches its ground truth the same way). */
  cacheDir: string;
}

/** Runs the canonical solution on all inputs (in the sandbox too) to get expected outputs. */
export async function computeOracle(task: IoTask, options: OracleOptions): Promise<Oracle> {
  const key = cacheKey(task);
  const cacheFile = path.join(options.cacheDir, `${key}.json`);
  const cached = readCached(cacheFile);
  if (cached) return cached;
  ensureDir(options.cacheDir);
  chmodSync(options.cacheDir, 0o700); // expected outputs are never readable by a sandboxed uid
  const { source } = task;
  const outcome = await runInSandbox({
    plan: options.plan,
    // Canonical outputs of a few tasks (HumanEval/15, /130, Mbpp/255) pickle to hundreds of MB.
    limits: { ...options.limits, fileSizeBytes: 4 * 2 ** 30 },
    wallSeconds: 300,
    collect: { names: ['base.pkl', 'plus.pkl'], into: options.cacheDir, prefix: `${key}-` },
    job: {
      kind: 'oracle',
      dataset: source.dataset,
      taskId: task.taskId,
      entryPoint: task.entryPoint,
      code: task.canonicalSolution,
      outputNotNone: source.dataset === 'mbpp' && OUTPUT_NOT_NONE.has(task.entryPoint),
      rowJson: source.rowJson,
      phases: [
        { name: 'base', field: 'base_input' },
        { name: 'plus', field: 'plus_input' },
      ],
    },
  });
  const phase = (name: string) => {
    const record = outcome.records.find((r) => r.phase === name);
    if (!record?.expectedFile || !record.times || !record.digests || !record.floats) {
      const why = record?.message ?? outcome.records.find((r) => r.phase === 'oracle')?.message ?? outcome.abnormal?.detail ?? 'no output';
      throw new Error(`${task.taskId}: canonical solution failed on ${name} inputs (${why})`);
    }
    const expectedFile = path.join(options.cacheDir, `${key}-${record.expectedFile}`);
    if (process.getuid?.() === 0) chownSync(expectedFile, 0, 0); // written by the sandbox's private uid
    chmodSync(expectedFile, 0o600);
    return { expectedFile, bytes: statSync(expectedFile).size, times: record.times, digests: record.digests, floats: record.floats };
  };
  const oracle = { base: phase('base'), plus: phase('plus') };
  writeJsonDurable(cacheFile, oracle);
  return oracle;
}

function readCached(cacheFile: string): Oracle | undefined {
  try {
    const oracle = JSON.parse(readFileSync(cacheFile, 'utf8')) as Oracle;
    const intact = (phase: ExpectedOutputs) => typeof phase?.bytes === 'number' && Array.isArray(phase.digests) && statSync(phase.expectedFile).size === phase.bytes;
    return intact(oracle.base) && intact(oracle.plus) ? oracle : undefined;
  } catch {
    return undefined; // not cached yet, or a damaged entry: computed again
  }
}
