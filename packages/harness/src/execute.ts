import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chownSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { JUDGE_SOURCE } from './python/judge-source.js';
import { SANDBOX_SOURCE } from './python/sandbox-source.js';
import { toPythonJson } from './python-json.js';
import { bwrapArgs, type SandboxPlan } from './sandbox.js';

export interface ResourceLimits {
  /** Address-space cap (RLIMIT_AS), bytes; the judge gets the same. */
  memoryBytes: number;
  /** Largest file the code may write (RLIMIT_FSIZE), bytes. */
  fileSizeBytes: number;
  /** Processes for the sandbox's uid (RLIMIT_NPROC); binding because the sandbox never runs as root. */
  processes: number;
  /** Bytes the code may keep in its work dir and /tmp together (a tmpfs of this size under bubblewrap). */
  diskBytes: number;
}

export const DEFAULT_LIMITS: ResourceLimits = {
  memoryBytes: Math.min(4 * 2 ** 30, Math.floor(os.totalmem() / 2)),
  fileSizeBytes: 64 * 2 ** 20,
  processes: 16,
  diskBytes: 256 * 2 ** 20,
};

/** What the sandbox may send in one reply: the largest canonical outputs (Mbpp/255) are a few hundred MB. */
const MAX_MESSAGE_BYTES = 2 ** 30;
/** Records from a trusted process (judge, oracle run) are small; more is a fault. */
const MAX_RECORD_BYTES = 16 * 2 ** 20;
/**
 * Sandboxes started as root run as a private uid drawn from this range, one per sandbox: its fork limit
 * counts its processes alone, and at the end every process it owns is killed, also any that left the
 * process group (setsid through ctypes), with no risk of hitting another run's sandbox.
 */
const SANDBOX_UIDS = { base: 1_000_000_000, count: 2 ** 24 };
/** How long the end of a check waits for the sandbox uid's last threads to die after SIGKILL. */
const UID_KILL_WAIT_MS = 10_000;

/**
 * One JSON line from a trusted process: a phase's verdict (the judge) or expected outputs (an oracle run
 * in the sandbox), the end marker `done`, or an infrastructure fault (`infra`).
 */
export interface PhaseRecord {
  phase?: string;
  status?: 'passed' | 'failed' | 'timeout' | 'error';
  message?: string;
  testIndex?: number;
  test?: string;
  expectedFile?: string;
  times?: number[];
  digests?: Array<string | null>;
  floats?: boolean[];
  done?: boolean;
  /** The sandbox could not be set up: a fault of the harness or the machine, not of the sample. */
  infra?: string;
}

export interface RunOutcome {
  records: PhaseRecord[];
  /** Set when the run did not finish cleanly: killed on the wall clock, by a signal, crashed, or said something malformed. */
  abnormal?: { reason: 'timeout' | 'signal' | 'exit' | 'output' | 'protocol'; detail: string };
}

export interface SandboxRequest {
  plan: SandboxPlan;
  limits: ResourceLimits;
  wallSeconds: number;
}

export interface RunRequest extends SandboxRequest {
  job: Record<string, unknown>;
  /** Files the job writes in its work dir that are moved to `into` (named `prefix + name`) before it is deleted. */
  collect?: { names: string[]; into: string; prefix: string };
}

export interface JudgedRequest extends SandboxRequest {
  /** The untrusted program and what the sandbox needs to load it (code, setupCode, loadSeconds). */
  program: Record<string, unknown>;
  /** What the judge checks (tests, or inputs and expected-output files); never seen by the sandbox. */
  judge: Record<string, unknown>;
  /** The phases the judge must report, each exactly once. */
  phases: string[];
}

const SCRUBBED_ENV = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  LANG: 'C.UTF-8',
  PYTHONIOENCODING: 'utf-8',
  OMP_NUM_THREADS: '1',
  OPENBLAS_NUM_THREADS: '1',
  MKL_NUM_THREADS: '1',
};

const debugStderr = () => (process.env.CODISTILL_HARNESS_DEBUG ? 'inherit' : 'ignore');

interface Sandbox {
  child: ChildProcess;
  workdir: string;
  /**
   * Kills the process group and, as root, every process of the sandbox's uid; settles once none of
   * them runs, or rejects with a SandboxError naming those that outlived the wait.
   */
  kill: () => Promise<void>;
  /** The same kill without waiting, before the end (wall clock, too much output): the end's kill waits and reports what survived. */
  stop: () => void;
  /** Settles once the job is written to the sandbox's stdin. */
  jobWritten: Promise<void>;
}

/**
 * Starts the sandbox program (python/sandbox-source.ts) in a fresh sandbox and sends it its job; stdout is its reply channel. Untrusted code
 * gets a private work dir of limited size (`quota`); a trusted run's host work dir is bound so its files can be collected.
 */
function startSandbox(request: SandboxRequest, job: Record<string, unknown>, quota: boolean): Sandbox {
  const { plan, limits } = request;
  const workdir = mkdtempSync(path.join(os.tmpdir(), 'codistill-harness-'));
  const uid = plan.dropRoot ? SANDBOX_UIDS.base + randomInt(SANDBOX_UIDS.count) : undefined;
  if (uid !== undefined) chownSync(workdir, uid, uid);
  const cpuSeconds = Math.ceil(request.wallSeconds) + 1;
  const python = [plan.python.executable, '-I', '-B', '-S', '-c', SANDBOX_SOURCE];
  const [file, args] = plan.kind === 'bwrap' ? [plan.bwrap, [...bwrapArgs(plan.python, workdir, quota ? limits.diskBytes : undefined), ...python]] : [python[0], python.slice(1)];
  const child = spawn(file, args, {
    cwd: workdir,
    env: { ...SCRUBBED_ENV, HOME: workdir, TMPDIR: workdir },
    stdio: ['pipe', 'pipe', debugStderr()],
    detached: true, // own process group, so a timeout kills everything the code started
  });
  child.stdin!.on('error', () => undefined); // the code may exit before reading
  const jobWritten = new Promise<void>((resolve) => child.stdin!.write(toPythonJson({ ...job, workdir, limits: { ...limits, cpuSeconds, uid } }) + '\n', () => resolve()));
  const kill = async () => {
    killGroup(child);
    if (uid !== undefined) await killUid(uid);
  };
  return { child, workdir, kill, stop: () => void kill().catch(() => undefined), jobWritten };
}

/**
 * Kills every process `uid` owns (as root): the sandbox's, wherever they went, and waits until none of
 * their threads is alive. A thread with SIGKILL pending still runs until the kernel gets to it, and a
 * leader that exited alone is a zombie whose other threads run on (SIGKILL to it ends them); passes
 * repeat while live ones remain, which also catches forks made meanwhile.
 */
async function killUid(uid: number): Promise<void> {
  const deadline = Date.now() + UID_KILL_WAIT_MS;
  for (;;) {
    const live = readdirSync('/proc').filter((pid) => /^\d+$/.test(pid) && runsAs(pid, uid));
    if (live.length === 0) return;
    for (const pid of live) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (Date.now() > deadline) throw new SandboxError(`processes ${live.join(', ')} of the sandbox's uid ${uid} still ran ${UID_KILL_WAIT_MS / 1000} s after SIGKILL`);
    await sleep(1);
  }
}

/** Whether process `pid` belongs to `uid` (its real uid) and has a thread that is neither a zombie nor dead. */
function runsAs(pid: string, uid: number): boolean {
  const status = readStatus(`/proc/${pid}/status`);
  if (status === undefined || Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) !== uid) return false;
  const alive = (taskStatus: string | undefined) => taskStatus !== undefined && !/^State:\s+[ZX]/m.test(taskStatus);
  try {
    return alive(status) || readdirSync(`/proc/${pid}/task`).some((tid) => alive(readStatus(`/proc/${pid}/task/${tid}/status`)));
  } catch {
    return false; // gone meanwhile
  }
}

/** A /proc status file, or undefined once its process or thread is gone. */
function readStatus(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Collects a stream up to `limit` bytes; past it, `onOverflow` runs once. */
function collectOutput(stream: Readable, limit: number, onOverflow: () => void): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    const before = size;
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
    else if (before <= limit) onOverflow();
  });
  return () => Buffer.concat(chunks).toString('utf8');
}

function exitReason(code: number | null, signal: NodeJS.Signals | null, who: string): RunOutcome['abnormal'] {
  return signal
    ? { reason: 'signal', detail: `${who} killed by ${signal === 'SIGXCPU' ? 'SIGXCPU (CPU time limit)' : signal}` }
    : { reason: 'exit', detail: `${who} exited with code ${code} before finishing` };
}

/** Runs a trusted job (canonical solution -> expected outputs) in a sandbox and reads its records. */
export function runInSandbox(request: RunRequest): Promise<RunOutcome> {
  const sandbox = startSandbox(request, request.job, false);
  sandbox.child.stdin!.end();
  return new Promise((resolve, reject) => {
    let abnormal: RunOutcome['abnormal'];
    const timer = setTimeout(() => {
      abnormal = { reason: 'timeout', detail: `wall clock limit of ${request.wallSeconds} s` };
      sandbox.stop();
    }, request.wallSeconds * 1000);
    const output = collectOutput(sandbox.child.stdout!, MAX_RECORD_BYTES, () => {
      abnormal ??= { reason: 'output', detail: `more than ${MAX_RECORD_BYTES} bytes of records` };
      sandbox.stop();
    });
    sandbox.child.on('error', (error) => (abnormal ??= { reason: 'exit', detail: `could not start the sandbox: ${error.message}` }));
    sandbox.child.on('close', (code, signal) => {
      clearTimeout(timer);
      // Stragglers that left the group are still in the pid namespace (bwrap) or orphaned: the run ends once they are gone.
      sandbox.kill().then(() => {
        for (const name of request.collect?.names ?? []) {
          const from = path.join(sandbox.workdir, name);
          if (existsSync(from)) renameOrCopy(from, path.join(request.collect!.into, request.collect!.prefix + name));
        }
        rmSync(sandbox.workdir, { recursive: true, force: true });
        const records = parseRecords(output(), []);
        if (!abnormal && records.abnormal) abnormal = records.abnormal;
        if (!abnormal && !records.records.some((r) => r.done)) abnormal = exitReason(code, signal, 'the sandbox');
        resolve({ records: records.records, abnormal });
      }, reject);
    });
  });
}

/**
 * Checks an untrusted program: the program runs in the sandbox and only answers requests; the judge,
 * a separate Python process running trusted code, holds the tests and expected outputs, sends the
 * requests and writes the verdicts. Infrastructure faults throw SandboxError instead of becoming verdicts.
 */
export function runJudged(request: JudgedRequest): Promise<RunOutcome> {
  return judged(request).then((outcome) => {
    const infra = outcome.records.find((r) => r.infra)?.infra;
    if (infra) throw new SandboxError(infra);
    return outcome;
  });
}

/** The sandbox or judge could not run: an error of the evaluation run, never a sample's verdict. */
export class SandboxError extends Error {}

function judged(request: JudgedRequest): Promise<RunOutcome> {
  const sandbox = startSandbox(request, { kind: 'serve', ...request.program }, true);
  // The two processes talk over the sandbox's own pipes, without Node in between: the judge reads the
  // sandbox's stdout as its stdin and writes requests to the sandbox's stdin. Node sends the judge its
  // job on fd 4 and reads the verdicts on fd 3.
  const judge = spawn(request.plan.python.executable, ['-I', '-B', '-S', '-c', JUDGE_SOURCE], {
    env: SCRUBBED_ENV,
    stdio: [sandbox.child.stdout!, sandbox.child.stdin!, debugStderr(), 'pipe', 'pipe'],
    detached: true,
  });
  const jobChannel = judge.stdio[4] as Writable;
  jobChannel.on('error', () => undefined);
  jobChannel.end(toPythonJson({ ...request.judge, memoryBytes: request.limits.memoryBytes, maxMessageBytes: MAX_MESSAGE_BYTES }) + '\n');
  // Node keeps no end of the sandbox's pipes open (its stdin once the job is written): the judge sees
  // EOF when the sandbox exits. Closed, not ended: ending would shut the shared socket down for the judge too.
  sandbox.child.stdout!.destroy();
  void sandbox.jobWritten.then(() => sandbox.child.stdin!.destroy());
  const stop = () => {
    killGroup(judge);
    sandbox.stop();
  };
  return new Promise((resolve, reject) => {
    let abnormal: RunOutcome['abnormal'];
    let startError: string | undefined;
    const timer = setTimeout(() => {
      abnormal = { reason: 'timeout', detail: `wall clock limit of ${request.wallSeconds} s` };
      stop();
    }, request.wallSeconds * 1000);
    const verdicts = collectOutput(judge.stdio[3] as Readable, MAX_RECORD_BYTES, () => {
      abnormal ??= { reason: 'output', detail: `more than ${MAX_RECORD_BYTES} bytes of verdicts` };
      stop();
    });
    judge.on('error', (error) => (startError = `could not start the judge (${request.plan.python.executable}): ${error.message}`));
    sandbox.child.on('error', (error) => (startError = `could not start the sandbox: ${error.message}`));
    judge.on('close', (code, signal) => {
      clearTimeout(timer);
      killGroup(judge);
      sandbox.kill().then(() => {
        rmSync(sandbox.workdir, { recursive: true, force: true });
        if (startError) return resolve({ records: [{ infra: startError }] });
        const parsed = parseRecords(verdicts(), request.phases);
        if (!abnormal && parsed.abnormal) abnormal = parsed.abnormal;
        const finished = parsed.records.some((r) => r.done);
        if (!abnormal && !finished) {
          // The judge runs only trusted code; dying without a verdict (other than on the wall clock) is a harness fault.
          const { detail } = exitReason(code, signal, 'the judge')!;
          return resolve({ records: [{ infra: `${detail} (run with CODISTILL_HARNESS_DEBUG=1 to see its errors)` }] });
        }
        resolve({ records: abnormal ? parsed.records.filter((r) => !r.done) : parsed.records, abnormal });
      }, reject);
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

/**
 * Reads JSON-lines records strictly: every line an object, each expected phase at most once, `done`
 * last. A partial last line is what a process killed mid-write leaves and carries nothing.
 */
function parseRecords(text: string, phases: string[]): { records: PhaseRecord[]; abnormal?: RunOutcome['abnormal'] } {
  const records: PhaseRecord[] = [];
  const lines = text.split('\n');
  const complete = lines.slice(0, -1); // the text after the last newline is cut or empty
  const seen = new Set<string>();
  const fault = (detail: string) => ({ records, abnormal: { reason: 'protocol' as const, detail } });
  for (const [index, line] of complete.entries()) {
    let record: PhaseRecord;
    try {
      record = JSON.parse(line) as PhaseRecord;
    } catch {
      return fault(`malformed record on line ${index + 1}`);
    }
    if (!record || typeof record !== 'object' || Array.isArray(record)) return fault(`record ${index + 1} is not an object`);
    if (records.some((r) => r.done)) return fault('a record after the end');
    if (record.phase !== undefined && phases.length) {
      if (!phases.includes(record.phase)) return fault(`unexpected phase "${String(record.phase).slice(0, 50)}"`);
      if (seen.has(record.phase)) return fault(`phase "${record.phase}" reported twice`);
      seen.add(record.phase);
    }
    records.push(record);
  }
  return { records };
}
