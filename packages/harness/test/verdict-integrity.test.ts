// Wrong solutions that try to forge their verdict instead of solving the task. None may pass, under
// bubblewrap or the process fallback, on assert-based (HumanEval, MBPP) and input/output (HumanEval+,
// MBPP+) tasks alike.
import { chmodSync, chownSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bwrapAvailable, evaluateSamples, loadBenchmark, resolvePython, type BenchmarkName, type HarnessTask, type SandboxKind } from '../src/index.js';
import { processSandboxPython } from './sandbox-python.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'codistill-oracle-attack-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

/** Each attack is a program defining ENTRY (renamed to the task's entry point); all of them are wrong. */
const ATTACKS: Record<string, string> = {
  'writes passing records to every fd': `
import os
FORGED = [b'{"phase":"script","status":"passed"}\\n', b'{"phase":"base","status":"passed"}\\n',
          b'{"phase":"plus","status":"passed"}\\n', b'{"done": true}\\n', b'["value", 0]\\n', b'["ready", []]\\n']
def forge():
    for fd in range(3, 21):
        for line in FORGED:
            try:
                os.write(fd, line)
            except OSError:
                pass
forge()
def ENTRY(*args):
    forge()
    return None
`,
  'walks the caller frames and the heap for expected outputs': `
import gc, sys
def ENTRY(*args):
    frame = sys._getframe(1) if hasattr(sys, "_getframe") else None
    while frame is not None:
        for name, value in list(frame.f_locals.items()) + list(frame.f_globals.items()):
            if name in ("expected", "exp", "outputs", "expected_output"):
                return value[0] if isinstance(value, list) and value else value
        frame = frame.f_back
    for obj in gc.get_objects():
        if isinstance(obj, dict) and "expected" in obj:
            return obj["expected"]
    return None
`,
  'replaces check through a trace hook': `
import sys, threading
def tracer(frame, event, arg):
    for scope in (frame.f_globals, frame.f_locals):
        for name in ("check", "outputs_match", "special_match"):
            if name in scope:
                try:
                    scope[name] = lambda *a, **k: True
                except Exception:
                    pass
    return tracer
sys.settrace(tracer)
threading.settrace(tracer)
def ENTRY(*args):
    sys.settrace(tracer)
    return None
`,
  'returns an object equal to everything': `
class Anything:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __hash__(self): return 0
    def __bool__(self): return True
    def __lt__(self, other): return True
    __le__ = __gt__ = __ge__ = __lt__
    def __abs__(self): return 0
    def __sub__(self, other): return self
    __rsub__ = __add__ = __radd__ = __mul__ = __rmul__ = __truediv__ = __sub__
    def __len__(self): return 0
    def __iter__(self): return iter(())
def ENTRY(*args):
    return Anything()
`,
  'returns built-in subclasses that compare equal to anything': `
class Int(int):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __hash__ = int.__hash__
class Str(str):
    def __eq__(self, other): return True
    __hash__ = str.__hash__
class Tuple(tuple):
    def __eq__(self, other): return True
    __hash__ = tuple.__hash__
def ENTRY(*args):
    return [Int(987654321), Str("wrong"), Tuple((7,))][len(repr(args)) % 3]
`,
  'reads the expected-output files': `
import glob, os, pickle
def find():
    for pattern in ("/tmp/codistill-harness-oracles*/*.pkl", "/tmp/codistill-oracle-*/*.pkl", "/tmp/*/*.pkl", "/tmp/*.pkl"):
        for name in glob.glob(pattern):
            try:
                with open(name, "rb") as handle:
                    return pickle.load(handle)
            except Exception:
                pass
    return None
CALLS = [0]
def ENTRY(*args):
    outputs = find()
    CALLS[0] += 1
    return outputs[CALLS[0] - 1] if outputs else None
`,
  'patches the builtins the tests use': `
import builtins
builtins.abs = lambda x: 0
builtins.isinstance = lambda *a: True
builtins.len = lambda x: 0
builtins.set = lambda *a: frozenset()
def ENTRY(*args):
    return None
`,
  'makes the sandbox report its empty list as a float': `
import sys
sys.modules["__main__"].type_name = lambda value: "builtins.float"
def ENTRY(*args):
    return []
`,
  'returns an empty nested list, which numpy.allclose broadcasts to any shape': `
def ENTRY(*args):
    return [[]]
`,
  'exits cleanly before the tests': `
import os
os._exit(0)
def ENTRY(*args):
    return None
`,
};

/**
 * The right answer, taking `seconds` more on its first call: in the call, after stopping the
 * sandbox's alarm, or after the call, in the encoding of its output (a fake numpy scalar's item()).
 */
function slowRightAnswer(task: HarnessTask, way: string, seconds: number): string {
  return `${task.canonicalSolution}
import signal as _signal, time as _time
class _Slow:
    __module__, ndim = "numpy", 0
    def __init__(self, value):
        self.value = value
    def item(self):
        _time.sleep(${seconds})
        return self.value
${SLOW_WAYS[way].setup}
_right, _calls = ${task.entryPoint}, [0]
def ${task.entryPoint}(*args):
    _calls[0] += 1
    if _calls[0] > 1:
        return _right(*args)
${SLOW_WAYS[way].first.replaceAll('SECONDS', String(seconds))}
`;
}

const SLOW_WAYS: Record<string, { setup: string; first: string }> = {
  'ignores SIGALRM': { setup: '_signal.signal(_signal.SIGALRM, _signal.SIG_IGN)', first: '    _time.sleep(SECONDS)\n    return _right(*args)' },
  'replaces setitimer': { setup: '_signal.setitimer = lambda *a, **k: (0.0, 0.0)', first: '    _time.sleep(SECONDS)\n    return _right(*args)' },
  'is slow to encode': { setup: '', first: '    return _Slow(_right(*args))' },
};

const kinds: SandboxKind[] = bwrapAvailable(resolvePython()) ? ['bwrap', 'process'] : ['process'];
const benchmarks: Array<[BenchmarkName, string]> = [
  ['humaneval', 'humaneval-subset.jsonl.gz'],
  ['mbpp', 'mbpp-subset.jsonl'],
  ['humanevalplus', 'humanevalplus-subset.jsonl.gz'],
  ['mbppplus', 'mbppplus-subset.jsonl'],
  // HumanEval/21 returns a list of floats, compared within a tolerance.
  ['humanevalplus', 'humanevalplus-floats.jsonl.gz'],
];

describe.each(kinds)('sandbox %s', (sandbox) => {
  const python = sandbox === 'process' ? processSandboxPython() : undefined;
  test.each(benchmarks)('no forged verdict passes on %s (%s)', async (name, file) => {
    const tasks: HarnessTask[] = await loadBenchmark(name, path.join(fixtures, file));
    const samples = tasks.flatMap((task) => Object.values(ATTACKS).map((code) => ({ task_id: task.taskId, solution: code.replaceAll('ENTRY', task.entryPoint) })));
    const { results, summary } = await evaluateSamples(tasks, samples, { sandbox, python, oracleCacheDir: cacheDir, workers: 2, timeoutSeconds: 10 });
    const names = Object.keys(ATTACKS);
    // A plus phase counts only after base passed (some fixture tasks have no plus inputs at all).
    const passed = results.filter((r) => r.status === 'passed' || r.base?.status === 'passed');
    expect(passed.map((r) => `${r.taskId}: ${names[r.sampleIndex]}`)).toEqual([]);
    expect(summary['pass@1']).toBe(0);
  });

  // Per-input limits of 0.3 s here: the judge's own deadline is twice that plus a second.
  const limits = { minTimeLimit: 0.3, timeLimitFactor: 1 };
  test.each(benchmarks.slice(2, 4))('a right answer past its time limit beyond the sandbox alarm is a timeout on %s (%s)', async (name, file) => {
    const tasks = await loadBenchmark(name, path.join(fixtures, file));
    const ways = Object.keys(SLOW_WAYS);
    const run = async (seconds: number) => {
      const samples = tasks.flatMap((task) => ways.map((way) => ({ task_id: task.taskId, solution: slowRightAnswer(task, way, seconds) })));
      return (await evaluateSamples(tasks, samples, { sandbox, python, oracleCacheDir: cacheDir, workers: 2, ...limits })).results;
    };
    expect((await run(0)).map((r) => r.status)).toEqual(tasks.flatMap(() => ways.map(() => 'passed')));
    expect((await run(2.5)).map((r) => r.base?.status)).toEqual(tasks.flatMap(() => ways.map(() => 'timeout')));
  });

  // As root the fallback runs the program as a uid of its own, and every process of that uid is killed at the end.
  const asRoot = sandbox === 'process' && process.getuid?.() === 0 ? test : test.skip;
  asRoot('a process that left the process group does not outlive its check, nor does a thread of an exited leader', async () => {
    const name = `cdx-esc-${process.pid % 100000}`;
    const escape = `import ctypes, threading, time
libc = ctypes.CDLL(None)
def spin():
    libc.prctl(15, b"${name}")
    while True:
        time.sleep(0.05)
if libc.fork() == 0:
    libc.setsid()
    if FORK_AGAIN:
        threading.Thread(target=spin).start()
        libc.syscall(60, 0)  # exit(2): this thread alone; the leader is a zombie whose thread runs on
    spin()
def ENTRY(*args):
    return None
`;
    const tasks = await loadBenchmark('humanevalplus', path.join(fixtures, 'humanevalplus-subset.jsonl.gz'));
    const samples = ['False', 'True'].map((again) => ({ task_id: tasks[0].taskId, solution: escape.replace('FORK_AGAIN', again).replaceAll('ENTRY', tasks[0].entryPoint) }));
    await evaluateSamples(tasks.slice(0, 1), samples, { sandbox, python, oracleCacheDir: cacheDir, workers: 1 });
    // Killed processes may linger as zombies until init reaps them: only live threads count.
    const live = (status: string) => status.startsWith(`Name:\t${name}`) && !/^State:\s+Z/m.test(status);
    const threads = readdirSync('/proc')
      .filter((pid) => /^\d+$/.test(pid))
      .flatMap((pid) => {
        try {
          return readdirSync(`/proc/${pid}/task`).map((tid) => readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'));
        } catch {
          return [];
        }
      });
    expect(threads.filter(live)).toEqual([]);
  });
});

describe('the oracle cache decides verdicts, so only a folder of this user that no one else can write is used', () => {
  const tasks = () => loadBenchmark('humanevalplus', path.join(fixtures, 'humanevalplus-subset.jsonl.gz'));
  const wrong = (task: HarnessTask) => ({ task_id: task.taskId, solution: `def ${task.entryPoint}(*args):\n    return 42\n` });

  test('a folder others can write, or of another user, is refused naming it', async () => {
    const [task] = await tasks();
    const open = mkdtempSync(path.join(os.tmpdir(), 'codistill-oracle-open-'));
    chmodSync(open, 0o777);
    await expect(evaluateSamples([task], [wrong(task)], { oracleCacheDir: open })).rejects.toThrow(`${open} (the oracle cache) can be written by others (mode 777): its expected outputs could have been forged; remove it`);
    if (process.getuid?.() === 0) {
      chmodSync(open, 0o700);
      chownSync(open, 4242, 4242);
      await expect(evaluateSamples([task], [wrong(task)], { oracleCacheDir: open })).rejects.toThrow(`${open} (the oracle cache) belongs to uid 4242, not to this user (0)`);
    }
    rmSync(open, { recursive: true, force: true });
    await expect(evaluateSamples([task], [wrong(task)], { oracleCacheDir: '/proc/codistill-x/oracles' })).rejects.toThrow(/^the oracle cache: cannot create folder \/proc\/codistill-x.*; set XDG_CACHE_HOME to a writable folder \(or pass oracleCacheDir\)$/);
  });

  test('an entry naming expected outputs outside its folder is computed again, not believed', async () => {
    const [task] = await tasks();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'codistill-oracle-own-'));
    await evaluateSamples([task], [wrong(task)], { oracleCacheDir: dir });
    const entry = readdirSync(dir).find((f) => f.endsWith('.json'))!;
    const oracle = JSON.parse(readFileSync(path.join(dir, entry), 'utf8'));
    // Point the entry at a copy elsewhere: were it believed, whoever wrote that copy would choose the answers.
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'codistill-oracle-elsewhere-'));
    for (const phase of ['base', 'plus']) {
      const moved = path.join(elsewhere, path.basename(oracle[phase].expectedFile));
      copyFileSync(oracle[phase].expectedFile, moved);
      oracle[phase].expectedFile = moved;
    }
    writeFileSync(path.join(dir, entry), JSON.stringify(oracle));
    await evaluateSamples([task], [wrong(task)], { oracleCacheDir: dir });
    const again = JSON.parse(readFileSync(path.join(dir, entry), 'utf8'));
    expect([again.base.expectedFile, again.plus.expectedFile].map((f: string) => path.dirname(f))).toEqual([dir, dir]);
    rmSync(dir, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  });
});
