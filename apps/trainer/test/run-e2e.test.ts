import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The built-in tiny run as a user starts it (a separate process, so it can be killed like one):
// killed mid-training and mid-evaluation, rerun each time, it must finish without redoing work.
const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const out = mkdtempSync(path.join(tmpdir(), 'codistill-run-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

/** Starts `codistill run --out <tmp>` (or with `args`); `killWhen` is polled and SIGKILLs the process once true. */
function run(killWhen?: () => boolean, args = ['--out', out]): Promise<Finished> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/trainer/src/cli.ts', 'run', ...args, '--progress', 'false'], { cwd: repoRoot });
  const result: Finished = { code: null, signal: null, stderr: '', stdout: '' };
  child.stderr.on('data', (d: Buffer) => (result.stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (result.stdout += d.toString()));
  const poll = killWhen && setInterval(() => killWhen() && child.kill('SIGKILL'), 20);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      if (poll) clearInterval(poll);
      resolve({ ...result, code, signal });
    }),
  );
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()) : []);
const json = (file: string) => JSON.parse(readFileSync(path.join(out, file), 'utf8'));
/** Every file under the run folder with its modification time. */
const files = () => Object.fromEntries(readdirSync(out, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => [path.join(e.parentPath, e.name), statSync(path.join(e.parentPath, e.name)).mtimeMs]));
const checkpoints = () => (existsSync(path.join(out, 'train')) ? readdirSync(path.join(out, 'train')).filter((d) => /^checkpoint-\d+$/.test(d)) : []);

test('codistill run: killed twice, rerun, finishes the same run and writes the report', async () => {
  const trainLog = path.join(out, 'train/train_log.jsonl');
  const first = await run(() => checkpoints().length > 0 && lines(trainLog).length >= 6);
  expect(first.signal).toBe('SIGKILL');
  expect(json('data/stage.json').status).toBe('done');
  expect(json('contexts/stage.json').status).toBe('done');
  expect(json('train/stage.json').status).toBe('running');
  const examples = readFileSync(path.join(out, 'data/examples.jsonl'), 'utf8');

  const samples = path.join(out, 'eval/tuned/humaneval.samples.jsonl');
  const second = await run(() => lines(samples).length >= 2);
  expect(second.signal).toBe('SIGKILL');
  expect(second.stderr).toMatch(/data: done earlier, skipped/);
  expect(second.stderr).toMatch(/contexts: done earlier, skipped/);
  expect(second.stderr).toMatch(/train: resuming/);
  const steps = lines(trainLog).map((l) => JSON.parse(l).step);
  expect(steps).toEqual(Array.from({ length: 24 }, (_, i) => i + 1)); // resumed from the checkpoint, no step twice
  const generatedBefore = lines(samples);

  const third = await run();
  expect(third.stderr).toMatch(/train: done earlier, skipped/);
  expect(third.stderr).toMatch(/eval: resuming/);
  expect(third.code).toBe(0);
  expect(readFileSync(path.join(out, 'data/examples.jsonl'), 'utf8')).toBe(examples);
  const generated = lines(samples);
  expect(generated.slice(0, generatedBefore.length)).toEqual(generatedBefore); // finished samples kept, not redone
  expect(new Set(generated.map((l) => JSON.parse(l).task_id)).size).toBe(generated.length);

  const report = json('report/report.json');
  expect(report.passAt1.map((r: { benchmark: string }) => r.benchmark)).toEqual(['HumanEval', 'MBPP', 'MBPP+']);
  expect(report.passAt1.every((r: { tasks: number; base: number; tuned: number }) => r.tasks === 6 && r.base >= 0 && r.tuned >= 0)).toBe(true);
  expect(report.codebleu.pairs).toBe(18);
  expect(report.trainLog).toHaveLength(24);
  expect(report.trainLog.some((r: { struct_loss?: number }) => r.struct_loss !== undefined && r.struct_loss < 1)).toBe(true);
  expect(report.questionPerplexity.base).toHaveLength(18);
  expect(report.questionPerplexity.tuned).toHaveLength(18);
  expect(report.tokenPerplexity.base.length).toBe(report.tokenPerplexity.tuned.length);
  expect(report.meta.contexts).toMatch(/hand-written, not from a teacher/);
  expect(report.meta.teacher).toMatch(/served by codistill serve/);
  expect(report.meta.compute).toBe('cpu, base model in float32');
  expect(readFileSync(path.join(out, 'report/report.html'), 'utf8')).toMatch(/<svg/);
  expect(JSON.parse(third.stdout.trim()).report).toBe(path.join(out, 'report/report.html'));

  const finished = files();
  const again = await run();
  expect(again.code).toBe(0);
  for (const stage of ['data', 'contexts', 'train', 'eval', 'report']) expect(again.stderr).toMatch(new RegExp(`${stage}: done earlier, skipped`));
  expect(files()).toEqual(finished); // nothing written: a finished run on a read-only copy is shown, not refused
}, 600_000);

test('a rerun with changed settings is refused, naming the changed field', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/trainer/src/cli.ts', 'run', '--out', out, '--train.learning_rate', '0.5'], { cwd: repoRoot });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise((resolve) => child.on('close', resolve));
  expect(code).toBe(1);
  expect(stderr).toMatch(/train was made with other settings \(train\.learning_rate: 0\.01 -> 0\.5\)/);
}, 120_000);

test("a run from a saved adapter trains with the adapter's LoRA settings, and resumes without it; one written in the config that disagrees is refused", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'codistill-run-adapter-'));
  // r 4, lora_alpha 8, made by PEFT for the tiny student; the tiny run's own lora_alpha is 16.
  const adapter = path.join(dir, 'peft-adapter');
  cpSync(path.join(repoRoot, 'packages/lora/test/fixtures/peft-adapter'), adapter, { recursive: true });
  try {
    const refused = await run(undefined, ['--out', path.join(dir, 'given'), '--train.adapter_name_or_path', adapter, '--train.lora.lora_alpha', '32']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/adapter_config\.json disagrees with the LoRA settings given \(lora\.lora_alpha \(--lora_alpha\) is 32 here and 8 there\)/);
    const started = path.join(dir, 'adapter');
    const checkpoint = path.join(started, 'train/checkpoint-4');
    const first = await run(() => existsSync(checkpoint), ['--out', started, '--train.adapter_name_or_path', adapter]);
    expect(first.signal).toBe('SIGKILL');
    expect(JSON.parse(readFileSync(path.join(checkpoint, 'adapter_config.json'), 'utf8'))).toMatchObject({ r: 4, lora_alpha: 8 });
    // The rerun resumes from the checkpoint: the adapter it started from is not needed again.
    rmSync(adapter, { recursive: true });
    const trainDone = () => existsSync(path.join(started, 'train/stage.json')) && JSON.parse(readFileSync(path.join(started, 'train/stage.json'), 'utf8')).status === 'done';
    const rerun = await run(trainDone, ['--out', started, '--train.adapter_name_or_path', adapter]);
    expect(rerun.stderr).toMatch(/train: resuming\n(.*\n)*train: continuing from checkpoint-\d+/);
    expect(trainDone()).toBe(true);
    expect(JSON.parse(readFileSync(path.join(started, 'train/adapter_config.json'), 'utf8'))).toMatchObject({ r: 4, lora_alpha: 8 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 300_000);

test('codistill eval --model --adapter compares the base and the fine-tuned model in one run', async () => {
  const evalOut = path.join(out, 'eval-cli');
  const args = ['--import', 'tsx', 'apps/trainer/src/cli.ts', 'eval', '--model', 'packages/models/test/fixtures/tiny-llama', '--adapter', path.join(out, 'train')];
  args.push('--mbpp', 'packages/harness/samples/mbpp-sample.jsonl', '--humaneval', 'packages/harness/samples/humaneval-sample.jsonl', '--limit', '2', '--max-new-tokens', '16', '--out', evalOut);
  const child = spawn(process.execPath, args, { cwd: repoRoot });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
  const comparison = JSON.parse(stdout.trim());
  expect(comparison.passAt1).toEqual([
    { benchmark: 'HumanEval', tasks: 2, base: expect.any(Number), tuned: expect.any(Number) },
    { benchmark: 'MBPP', tasks: 2, base: expect.any(Number), tuned: expect.any(Number) },
  ]);
  expect(comparison.questionPerplexity.tuned).toHaveLength(4);
  expect(lines(path.join(evalOut, 'base/mbpp.results.jsonl'))).toHaveLength(2);
  expect(lines(path.join(evalOut, 'tuned/humaneval.samples.jsonl'))).toHaveLength(2);
  expect(JSON.parse(readFileSync(path.join(evalOut, 'comparison.json'), 'utf8'))).toEqual(comparison);
}, 120_000);
