import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { README, register, replaceTable, trainSettingsTable } from '../src/commands/train.js';
import { hubAdapter, hubCodebert, hubHome, offlineAt } from './hub-cache.js';
import { runCommand } from './run-command.js';

const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tinyLlama = path.join(repoRoot, 'packages/models/test/fixtures/tiny-llama');
const tinyRoberta = path.join(repoRoot, 'packages/models/test/fixtures/tiny-roberta');

function setup(): { data: string; out: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'train-cli-'));
  const data = path.join(dir, 'train.jsonl');
  const rows = Array.from({ length: 4 }, (_, i) => JSON.stringify({ prompt: `Write f${i}.`, code: `def f${i}():\n    return ${i}` }));
  writeFileSync(data, rows.join('\n') + '\n');
  return { data, out: path.join(dir, 'out') };
}

const run = (data: string, out: string, ...args: string[]) =>
  runCommand(register, ['train', '--model_name_or_path', tinyLlama, '--train_file', data, '--output_dir', out, '--threads', '1', ...args]);

test('bad values stop before any work, each named by its flag', async () => {
  const { data, out } = setup();
  const bad: Array<[string, string, RegExp]> = [
    ['--lora_r', '0', /--lora_r: Too small: expected number to be >0/],
    ['--learning_rate', 'abc', /--learning_rate: Invalid input: expected number, received string/],
    ['--max_steps', '1.5', /--max_steps: Invalid input: expected int/],
    ['--max_steps', '0', /--max_steps: must be -1 \(use num_train_epochs\) or positive/],
    ['--max_grad_norm', '-1', /--max_grad_norm: Too small/],
    ['--alpha_end', '1.2', /--alpha_end: Too big/],
    ['--seed', '-1', /--seed: Too small/],
    ['--threads', '0', /--threads: Too small/],
    ['--optim', 'adam', /--optim: Invalid option: expected one of "adamw_torch"\|"adamw_torch_fused"\|"sgd"/],
    ['--gradient_checkpointing', 'all', /--gradient_checkpointing: Invalid input/],
  ];
  for (const [flag, value, message] of bad) await expect(run(data, out, flag, value)).rejects.toThrow(message);
  // A folder has no revisions: a revision flag with one would be ignored, so it is refused; so is one without its model.
  await expect(run(data, out, '--model_revision', 'v1')).rejects.toThrow(`--model_revision v1: --model_name_or_path ${tinyLlama} is a folder, which has no revisions`);
  await expect(run(data, out, '--codebert', tinyRoberta, '--codebert_revision', 'v1')).rejects.toThrow(`--codebert_revision v1: --codebert ${tinyRoberta} is a folder, which has no revisions`);
  await expect(run(data, out, '--adapter_revision', 'v1')).rejects.toThrow('--adapter_revision v1: no --adapter_name_or_path to pick a revision of');
  expect(existsSync(out)).toBe(false);
});

test("--model_revision picks the revision of a Hub --model_name_or_path, as in transformers' scripts", async () => {
  const { data, out } = setup();
  const home = hubHome();
  const args = ['train', '--model_name_or_path', 'org/tiny', '--model_revision', 'v1', '--train_file', data, '--output_dir', out, '--threads', '1', '--max_steps', '1', '--per_device_train_batch_size', '2', '--lora_r', '4'];
  const [line] = await offlineAt(home, () => runCommand(register, args));
  expect(JSON.parse(line)).toMatchObject({ steps: 1 });
  expect(JSON.parse(readFileSync(path.join(out, 'adapter_config.json'), 'utf8')).base_model_name_or_path).toBe(path.join(home, 'hub', 'models--org--tiny', 'snapshots', 'b'.repeat(40)));
  await expect(offlineAt(home, () => runCommand(register, [...args.slice(0, 4), 'v2', ...args.slice(5)]))).rejects.toThrow(/org\/tiny@v2 is not in the cache/);
});

test("--adapter_revision and --codebert_revision pick the revisions of a Hub adapter (PEFT's revision=) and CodeBERT", async () => {
  const { data, out } = setup();
  const home = hubHome();
  hubAdapter(home);
  hubCodebert(home);
  // At main both repositories lack their weights: the one read at main is named missing.
  const hub = ['--adapter_name_or_path', 'org/tiny-lora', '--codebert', 'org/tiny-roberta', '--max_steps', '1', '--per_device_train_batch_size', '2'];
  await expect(offlineAt(home, () => run(data, out, ...hub, '--codebert_revision', 'v1'))).rejects.toThrow('org/tiny-lora does not appear to have a file named adapter_model.safetensors');
  await expect(offlineAt(home, () => run(data, out, ...hub, '--adapter_revision', 'v1'))).rejects.toThrow('org/tiny-roberta does not appear to have a file named model.safetensors');
  const [line] = await offlineAt(home, () => run(data, `${out}-v1`, ...hub, '--adapter_revision', 'v1', '--codebert_revision', 'v1'));
  expect(JSON.parse(line)).toMatchObject({ steps: 1, interrupted: false });
  expect(JSON.parse(readFileSync(path.join(`${out}-v1`, 'adapter_config.json'), 'utf8'))).toMatchObject({ r: 4, lora_alpha: 8 });
});

test("TrainingArguments' names reach the trainer, dashes too; LoRA flags as TRL names them", async () => {
  const { data, out } = setup();
  const [line] = await run(data, out, '--max-steps', '2', '--per_device_train_batch_size', '2', '--lora_r', '4', '--lora_target_modules', 'q_proj,v_proj', '--lora_dropout', '0');
  expect(JSON.parse(line)).toMatchObject({ steps: 2, totalSteps: 2, interrupted: false });
  expect(JSON.parse(readFileSync(path.join(out, 'adapter_config.json'), 'utf8'))).toMatchObject({ r: 4, target_modules: ['q_proj', 'v_proj'] });
  const [all] = await run(data, `${out}-all`, '--max_steps', '1', '--per_device_train_batch_size', '2', '--lora_r', '4', '--lora_target_modules', 'all-linear');
  expect(JSON.parse(all)).toMatchObject({ steps: 1 });
  expect(JSON.parse(readFileSync(path.join(`${out}-all`, 'adapter_config.json'), 'utf8'))).toMatchObject({ target_modules: 'all-linear' });
});

test('--gradient_checkpointing alone means the layer policy; a policy can be named', async () => {
  const { data, out } = setup();
  for (const policy of [[], ['selective'], ['true']]) {
    const [line] = await run(data, `${out}-${policy.join('')}`, '--max_steps', '1', '--per_device_train_batch_size', '2', '--lora_r', '4', '--gradient_checkpointing', ...policy);
    expect(JSON.parse(line)).toMatchObject({ steps: 1, interrupted: false });
  }
});

test('--adapter_name_or_path trains with the adapter\'s LoRA settings; a LoRA flag given that disagrees is refused, even at its default', async () => {
  const { data, out } = setup();
  const adapter = path.join(repoRoot, 'packages/lora/test/fixtures/peft-adapter'); // r 4, lora_alpha 8
  await expect(run(data, out, '--max_steps', '1', '--adapter_name_or_path', adapter, '--lora_r', '8')).rejects.toThrow('(lora.r (--lora_r) is 8 here and 4 there)');
  const [line] = await run(data, out, '--max_steps', '1', '--adapter_name_or_path', adapter, '--lora_alpha', '8');
  expect(JSON.parse(line)).toMatchObject({ steps: 1, interrupted: false });
  expect(JSON.parse(readFileSync(path.join(out, 'adapter_config.json'), 'utf8'))).toMatchObject({ r: 4, lora_alpha: 8 });
});

test('the settings table in packages/train/README.md is the one the schema makes', () => {
  expect(replaceTable(readFileSync(README, 'utf8'), trainSettingsTable())).toBe(readFileSync(README, 'utf8')); // else: npx tsx apps/trainer/scripts/settings-doc.ts
});

test('Ctrl-C through `pnpm codistill` stops after the current step with a checkpoint', async () => {
  // A terminal's Ctrl-C signals the whole process group. tsx's own CLI waits 30 ms for its child's
  // event loop to acknowledge the signal, else sends it again (read as "quit at once") and kills the
  // child 30 ms later; a training step's synchronous work can hold the loop longer, so the root
  // script runs node with tsx's loader instead, one process.
  const [command, ...script] = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: { codistill: string } }).scripts.codistill.split(' ');
  expect(command).toBe('node');
  const { data, out } = setup();
  const args = ['train', '--model_name_or_path', tinyLlama, '--train_file', data, '--output_dir', out, '--threads', '1', '--max_steps', '1000', '--save_steps', '1000'];
  const child = spawn(process.execPath, [...script, ...args], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const log = path.join(out, 'train_log.jsonl');
  while (!existsSync(log) || readFileSync(log, 'utf8').split('\n').length < 3) await new Promise((resolve) => setTimeout(resolve, 50));
  process.kill(-child.pid!, 'SIGINT');
  const code = await new Promise((resolve) => child.on('exit', resolve));
  expect(stderr).toContain('stopping after the current step');
  expect(stderr).toMatch(/interrupted: stopped at step \d+, saved in its checkpoint; rerun with --resume_from_checkpoint to continue/);
  expect(code).toBe(130);
  expect(readdirSync(out).filter((name) => name.startsWith('checkpoint-'))).toHaveLength(1);
}, 60_000);
