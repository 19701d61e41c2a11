import { spawn } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RUNNER_SOURCE } from './python/runner-source.js';
import { toPythonJson } from './python-json.js';
import { bwrapArgs, type SandboxPlan } from './sandbox.js';

export interface ResourceLimits {
  /** Address-space cap (RLIMIT_AS), bytes. */
  memoryBytes: number;
  /** Largest file the code may write (RLIMIT_FSIZE), bytes. */
  fileSizeBytes: number;
  /** Processes for the sandbox's uid (RLIMIT_NPROC); only binding when the runner is not root. */
  processes: number;
}

export const DEFAULT_LIMITS: ResourceLimits = {
  memoryBytes: Math.min(4 * 2 ** 30, Math.floor(os.totalmem() / 2)),
  fileSizeBytes: 64 * 2 ** 20,
  processes: 16,
};

/** Stdout beyond this is a misbehaving program; the runner's own records are small. */
const MAX_OUTPUT_BYTES = 16 * 2 ** 20;
/** Private uids for sandboxes started as root, one per pool slot, so fork limits don't interfere. */
const SANDBOX_UID_BASE = 61000;

export interface RunnerRecord {
  phase?: string;
  status?: 'passed' | 'failed' | 'timeout' | 'error';
  message?: string;
  testIndex?: number;
  test?: string;
  expectedFile?: string;
  times?: number[];
  done?: boolean;
}

export interface RunOutcome {
  records: RunnerRecord[];
  /** Set when the process did not finish cleanly: killed on the wall clock, by a signal, or crashed. */
  abnormal?: { reason: 'timeout' | 'signal' | 'exit' | 'output'; detail: string };
}

export interface RunRequest {
  job: Record<string, unknown>;
  plan: SandboxPlan;
  limits: ResourceLimits;
  wallSeconds: number;
  /** Pool slot, which picks the private uid. */
  slot: number;
  /** Host files the code may read (bound read-only under bwrap). */
  readOnlyFiles?: string[];
  /** Files the job writes in its work dir that are moved to `into` (named `prefix + name`) before it is deleted. */
  collect?: { names: string[]; into: string; prefix: string };
}

const SCRUBBED_ENV = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  LANG: 'C.UTF-8',
  PYTHONIOENCODING: 'utf-8',
  OMP_NUM_THREADS: '1',
  OPENBLAS_NUM_THREADS: '1',
  MKL_NUM_THREADS: '1',
};

function command(plan: SandboxPlan, workdir: string, readOnlyFiles: string[]): [string, string[]] {
  const python = [plan.python.executable, '-I', '-B', '-c', RUNNER_SOURCE];
  if (plan.kind === 'bwrap') return ['bwrap', [...bwrapArgs(plan.python, workdir, readOnlyFiles), ...python]];
  return [python[0], python.slice(1)];
}

/** Runs one job in a fresh sandboxed Python process and collects the runner's JSON records. */
export function runInSandbox(request: RunRequest): Promise<RunOutcome> {
  const { plan, limits } = request;
  const workdir = mkdtempSync(path.join(os.tmpdir(), 'codistill-harness-'));
  const uid = plan.dropRoot ? SANDBOX_UID_BASE + request.slot : undefined;
  if (uid !== undefined) chownSync(workdir, uid, uid);
  const cpuSeconds = Math.ceil(request.wallSeconds) + 1;
  const job = { ...request.job, workdir, limits: { ...limits, cpuSeconds, uid } };
  const [file, args] = command(plan, workdir, request.readOnlyFiles ?? []);
  const child = spawn(file, args, {
    cwd: workdir,
    env: { ...SCRUBBED_ENV, HOME: workdir, TMPDIR: workdir },
    stdio: ['pipe', 'pipe', process.env.CODISTILL_HARNESS_DEBUG ? 'inherit' : 'ignore'],
    detached: true, // own process group, so a timeout kills everything the code started
  });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let abnormal: RunOutcome['abnormal'];
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      abnormal = { reason: 'timeout', detail: `wall clock limit of ${request.wallSeconds} s` };
      killGroup();
    }, request.wallSeconds * 1000);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT_BYTES) {
        abnormal ??= { reason: 'output', detail: `more than ${MAX_OUTPUT_BYTES} bytes on the result channel` };
        killGroup();
      } else chunks.push(chunk);
    });
    child.stdin.on('error', () => undefined); // the code may exit before reading its job
    child.stdin.end(toPythonJson(job));
    child.on('error', (error) => {
      abnormal ??= { reason: 'exit', detail: `could not start ${file}: ${error.message}` };
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      killGroup(); // stragglers that left the group are still in the pid namespace (bwrap) or orphaned
      for (const name of request.collect?.names ?? []) {
        const from = path.join(workdir, name);
        if (existsSync(from)) renameOrCopy(from, path.join(request.collect!.into, request.collect!.prefix + name));
      }
      rmSync(workdir, { recursive: true, force: true });
      const records = parseRecords(Buffer.concat(chunks).toString('utf8'));
      const finished = records.some((r) => r.done);
      if (!abnormal && !finished) {
        abnormal = signal
          ? { reason: 'signal', detail: `killed by ${signal === 'SIGXCPU' ? 'SIGXCPU (CPU time limit)' : signal}` }
          : { reason: 'exit', detail: `exited with code ${code} before finishing` };
      }
      resolve({ records, abnormal });
    });
  });
}

function renameOrCopy(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    copyFileSync(from, to); // across file systems
  }
}

function parseRecords(text: string): RunnerRecord[] {
  const records: RunnerRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line) as RunnerRecord);
    } catch {
      // a partial last line from a killed process carries nothing usable
    }
  }
  return records;
}
