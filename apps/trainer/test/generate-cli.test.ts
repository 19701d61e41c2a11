import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from '../src/commands/generate.js';
import { foreignAdapters } from '../../../packages/lora/test/helpers.js';
import { greedyReference, hubAdapter, hubHome, offlineAt } from './hub-cache.js';
import { expectFlagsRefused, runCommand } from './run-command.js';

const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tinyLlama = path.join(repoRoot, 'packages/models/test/fixtures/tiny-llama');

const run = (...args: string[]): Promise<string[]> => runCommand(register, ['generate', '--model', tinyLlama, '--threads', '1', ...args]);

test('--json prints text, token ids, log-probabilities and speed; greedy is repeatable', async () => {
  const [line] = await run('--prompt', 'def add(a, b):\n', '--max-new-tokens', '5', '--json');
  const out = JSON.parse(line) as { text: string; token_ids: number[]; logprobs: number[]; tokens_per_s: number };
  expect(out.token_ids.length).toBeGreaterThan(0);
  expect(out.token_ids.length).toBeLessThanOrEqual(5);
  expect(out.logprobs).toHaveLength(out.token_ids.length);
  expect(out.logprobs.every((l) => l <= 0)).toBe(true);
  expect(out.tokens_per_s).toBeGreaterThan(0);
  const [text] = await run('--prompt', 'def add(a, b):\n', '--max-new-tokens', '5', '--temperature', '0');
  expect(text).toBe(out.text);
});

test("a generation that would pass the model's positions is warned about, as transformers does", async () => {
  const warnings: string[] = [];
  const error = console.error;
  console.error = (line: string) => void warnings.push(line);
  try {
    await run('--prompt', 'for i', '--max-new-tokens', '130');
    await run('--prompt', 'for i', '--max-new-tokens', '3');
  } finally {
    console.error = error;
  }
  // The tiny Llama has 128 positions.
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/^codistill: warning: the prompt's \d+ tokens and up to 130 new ones \(--max-new-tokens\) pass the model's 128 positions \(max_position_embeddings\)/);
});

test('sampling flags are accepted', async () => {
  const [line] = await run('--prompt', 'for i', '--max-new-tokens', '3', '--temperature', '0.8', '--top-p', '0.9', '--top-k', '20', '--seed', '3', '--json');
  expect(JSON.parse(line).token_ids.length).toBeGreaterThan(0);
});

test('--adapter applies a PEFT adapter; a folder without one is a clear error', async () => {
  const adapter = path.join(repoRoot, 'packages', 'lora', 'test', 'fixtures', 'peft-adapter');
  const args = ['--prompt', 'def f(x):', '--max-new-tokens', '6', '--json'];
  const base = JSON.parse((await run(...args))[0]);
  const adapted = JSON.parse((await run(...args, '--adapter', adapter))[0]);
  expect(adapted.logprobs).not.toEqual(base.logprobs);
  await expect(run('--prompt', 'x', '--adapter', '/tmp/none')).rejects.toThrow(/'\/tmp\/none' is neither a folder nor a Hub PEFT adapter id/);
});

test('--adapter-revision picks the revision of a Hub adapter, as PEFT\'s revision=; without a Hub --adapter it is refused', async () => {
  const home = hubHome();
  hubAdapter(home);
  const args = ['--prompt', 'def add(a, b):\n', '--max-new-tokens', '4', '--json'];
  const [local] = await run(...args, '--adapter', path.join(repoRoot, 'packages', 'lora', 'test', 'fixtures', 'peft-adapter'));
  const [pinned] = await offlineAt(home, () => run(...args, '--adapter', 'org/tiny-lora', '--adapter-revision', 'v1'));
  expect(JSON.parse(pinned).token_ids).toEqual(JSON.parse(local).token_ids);
  // main's snapshot has no weights: the revision read is the one asked for.
  await expect(offlineAt(home, () => run(...args, '--adapter', 'org/tiny-lora'))).rejects.toThrow(/adapter_model\.safetensors/);
  await expect(run(...args, '--adapter-revision', 'v1')).rejects.toThrow('--adapter-revision v1: no --adapter to pick a revision of');
  await expect(run(...args, '--adapter', tinyLlama, '--adapter-revision', 'v1')).rejects.toThrow(`--adapter-revision v1: --adapter ${tinyLlama} is a folder, which has no revisions`);
});

test('an adapter saved for another model is refused naming the tensor and both shapes, not with an ONNX Runtime error', async () => {
  const foreign = foreignAdapters(fs.mkdtempSync(path.join(os.tmpdir(), 'generate-cli-')));
  await expect(run('--prompt', 'x', '--adapter', foreign.narrow)).rejects.toThrow(/narrow\/adapter_model\.safetensors: base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight is \[4, 32\], this model's is \[4, 64\] \(saved for another model\?\)/);
  await expect(run('--prompt', 'x', '--adapter', foreign.deeper)).rejects.toThrow(/deeper\/adapter_model\.safetensors: base_model\.model\.model\.layers\.2\.self_attn\.q_proj\.lora_A\.weight and 3 more match no module of this model/);
});

test("--revision picks a cached revision of a Hub id; generation_config.json's repetition_penalty applies, --repetition-penalty overrides it", async () => {
  const [plain, penalised] = [greedyReference('tiny-llama'), greedyReference('tiny-llama-reppen')];
  const tokens = async (...args: string[]) => {
    const [line] = await runCommand(register, ['generate', '--model', 'org/tiny', '--prompt', plain.prompts[1], '--max-new-tokens', '16', '--threads', '1', '--json', ...args]);
    return JSON.parse(line).token_ids;
  };
  await offlineAt(hubHome(), async () => {
    expect(await tokens()).toEqual(plain.alone[1]);
    expect(await tokens('--revision', 'v1')).toEqual(penalised.alone[1]);
    expect(await tokens('--revision', 'v1', '--repetition-penalty', '1')).toEqual(plain.alone[1]);
    expect(await tokens('--repetition-penalty', '1.3')).toEqual(penalised.alone[1]);
    await expect(tokens('--revision', 'v2')).rejects.toThrow(/^org\/tiny@v2 is not in the cache .* and HF_HUB_OFFLINE is set: download it with the Hub reachable: `hf download org\/tiny --revision v2`/);
  });
  await expect(run('--prompt', 'x', '--revision', 'v1')).rejects.toThrow(`--revision v1: --model ${tinyLlama} is a folder, which has no revisions (--revision picks one of a Hub id)`);
});

test('bad numeric flags stop before any work: exit code 1, the flag and its range named', async () => {
  const bad: Array<[string, string, string]> = [
    ['--temperature <t>', '-1', 'expected a number >= 0 and <= 100'],
    ['--top-p <p>', '2', 'expected a number > 0 and <= 1'],
    ['--top-k <k>', '-1', 'expected a whole number >= 0'],
    ['--max-new-tokens <n>', 'abc', 'expected a whole number >= 1'],
    ['--seed <n>', '1.5', 'expected a whole number >= 0'],
    ['--repetition-penalty <p>', '0', 'expected a number > 0'],
    ['--threads <n>', '0', 'expected a whole number >= 1'],
    ['--device <name>', 'tpu', 'Allowed choices are cpu, cuda, webgpu.'],
  ];
  await expectFlagsRefused((flag, value) => run('--prompt', 'x', flag, value), bad);
});

test('a --device that cannot run here is refused before the model loads, naming the flag and the fix', async () => {
  const before = process.env.VK_ICD_FILENAMES;
  process.env.VK_ICD_FILENAMES = '/nonexistent/icd.json';
  try {
    await expect(run('--prompt', 'x', '--device', 'webgpu')).rejects.toThrow(/^--device webgpu: no Vulkan driver: VK_ICD_FILENAMES names \/nonexistent\/icd\.json, which does not exist; correct or unset it, or install it with `sudo scripts\/install-lavapipe\.sh`/);
  } finally {
    if (before === undefined) delete process.env.VK_ICD_FILENAMES;
    else process.env.VK_ICD_FILENAMES = before;
  }
});
