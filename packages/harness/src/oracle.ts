import { createHash } from 'node:crypto';
import { chmodSync, chownSync, lstatSync, readFileSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { cacheHome, ensureDir, writeJsonDurable } from '@codistill/util';
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

/** Where expected outputs are kept by default: the user's cache folder, as EvalPlus keeps its ground truth (not a shared temp folder, where anyone can make it first). */
export const defaultOracleCacheDir = (): string => path.join(cacheHome(), 'codistill', 'harness-oracles');

/** Why a cache folder or file cannot be trusted: not this user's own, or writable by others; undefined when it can. */
function untrusted(st: Stats, kind: 'folder' | 'file'): string | undefined {
  const uid = process.getuid?.();
  if (kind === 'folder' ? !st.isDirectory() : !st.isFile()) return `is not a plain ${kind}`;
  if (uid !== undefined && st.uid !== uid) return `belongs to uid ${st.uid}, not to this user (${uid})`;
  return st.mode & 0o022 ? `can be written by others (mode ${(st.mode & 0o777).toString(8)})` : undefined;
}

/**
 * Makes or checks the oracle cache folder and returns its absolute path. Its expected outputs
 * decide verdicts, so it must be this user's own folder, which no one else can write: one made
 * first by someone else (a sandboxed program of an earlier run, in a shared folder) could hold
 * forged outputs. No one else can read it either (a sandboxed uid must not see the answers).
 */
export function openOracleCache(dir: string): string {
  const absolute = path.resolve(dir);
  try {
    // util's, not mkdirSync's recursive mode, which never returns for a path under /proc.
    ensureDir(absolute);
  } catch (error) {
    throw new Error(`the oracle cache: ${(error as Error).message}; set XDG_CACHE_HOME to a writable folder (or pass oracleCacheDir)`);
  }
  const problem = untrusted(lstatSync(absolute), 'folder');
  if (problem) throw new Error(`${absolute} (the oracle cache) ${problem}: its expected outputs could have been forged; remove it, or choose another folder (oracleCacheDir)`);
  chmodSync(absolute, 0o700);
  return absolute;
}

export interface OracleOptions {
  plan: SandboxPlan;
  limits: ResourceLimits;
  /** Directory for computed oracles, as openOracleCache returned it (EvalPlus caches its ground truth the same way). */
  cacheDir: string;
}

/** Runs the canonical solution on all inputs (in the sandbox too) to get expected outputs. */
export async function computeOracle(task: IoTask, options: OracleOptions): Promise<Oracle> {
  const key = cacheKey(task);
  const cacheFile = path.join(options.cacheDir, `${key}.json`);
  const cached = readCached(cacheFile, options.cacheDir);
  if (cached) return cached;
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

/** A cached oracle whose entry and expected outputs are this user's own files in the cache folder, whole; else undefined (computed again). */
function readCached(cacheFile: string, cacheDir: string): Oracle | undefined {
  try {
    if (untrusted(lstatSync(cacheFile), 'file')) return undefined;
    const oracle = JSON.parse(readFileSync(cacheFile, 'utf8')) as Oracle;
    const intact = (phase: ExpectedOutputs) => {
      if (typeof phase?.bytes !== 'number' || !Array.isArray(phase.digests) || path.dirname(phase.expectedFile) !== cacheDir) return false;
      const st = lstatSync(phase.expectedFile);
      return !untrusted(st, 'file') && st.size === phase.bytes;
    };
    return intact(oracle.base) && intact(oracle.plus) ? oracle : undefined;
  } catch {
    return undefined; // not cached yet, or a damaged entry: computed again
  }
}
