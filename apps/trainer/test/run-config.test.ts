import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { readContexts } from '@codistill/context';
import { probeProvider } from '@codistill/graph';
import { prepareTaco } from '@codistill/data';
import { TextTokenizer } from '@codistill/models';
import { trainFlagName } from '@codistill/train';
import { registerCommands } from '../src/commands/index.js';
import { register } from '../src/commands/init.js';
import { parseRunConfig, runConfigSchema, stripComments, studentInput } from '../src/run/config.js';
import { runPipeline } from '../src/run/pipeline.js';
import { MODELS_FILE, runModels } from '../src/run/run-models.js';
import { runMeta } from '../src/run/stages/report.js';
import { applySettingFlags, settingFlags } from '../src/settings-flags.js';
import { trainStage } from '../src/run/stages/train.js';
import { hubCodebert, hubHome, offlineAt } from './hub-cache.js';
import { runCommand } from './run-command.js';

const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const FLAGS = settingFlags(runConfigSchema);

test('init writes a commented config that parses back to the preset', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'init-'));
  const out = path.join(dir, 'run.json');
  await runCommand(register, ['init', '--out', out]);
  await expect(runCommand(register, ['init', '--out', out])).rejects.toThrow(/exists: pass --force/);
  const written = JSON.parse(await readFile(out, 'utf8'));
  expect(written['//']).toMatch(/codistill run/);
  expect(written.data['//max_tokens']).toMatch(/student-token budget/);
  expect(parseRunConfig(stripComments(written))).toEqual(parseRunConfig({}));

  const paper = path.join(dir, 'paper.json');
  await runCommand(register, ['init', '--preset', 'paper', '--out', paper]);
  const config = parseRunConfig(stripComments(JSON.parse(await readFile(paper, 'utf8'))));
  expect(config).toMatchObject({ student: 'meta-llama/Llama-3.1-8B', device: 'cuda', teacher: { model: 'meta-llama/Llama-3.1-70B-Instruct' }, train: { lora: { r: 32, lora_alpha: 32 }, bf16: true } });
});

test('config errors name the field', () => {
  expect(() => parseRunConfig({ train: { max_steps: 0 } }, 'run.json')).toThrow(/^run\.json: train\.max_steps: must be -1/);
  expect(() => parseRunConfig({ train: { lr: 0.1, batchSize: 2 } })).toThrow(/train\.lr,batchSize: .*\(renamed: learning_rate, per_device_train_batch_size\)/);
  expect(() => parseRunConfig({ teacher: { urls: ['not a url'] } })).toThrow(/teacher\.urls\.0/);
  expect(() => parseRunConfig({ trian: {} })).toThrow(/trian/);
  expect(() => parseRunConfig({ train: { lora: { lora_alpa: 3 } } })).toThrow(/train\.lora.*lora_alpa/);
});

test('every config field is a `codistill run` flag, parsed to the field type', () => {
  const paths = FLAGS.map((f) => f.flag);
  expect(paths).toEqual(expect.arrayContaining(['out', 'data.taco', 'teacher.urls', 'train.lora.r', 'train.lora.target_modules', 'train.alpha_schedule.end', 'eval.limit']));
  const raw = applySettingFlags({ train: { learning_rate: 0.5 } }, FLAGS, {
    'train.lora.r': '32',
    'train.lora.target_modules': 'q_proj,k_proj',
    'train.memory_arena': 'false',
    'train.max_steps': '-1',
    'data.taco': 'a.jsonl,b.parquet',
    'teacher.urls': '["http://127.0.0.1:8000/v1"]',
    'train.lora.layers_to_transform': '0,1',
    'eval.prompt_style': 'chat',
  });
  const config = parseRunConfig(raw);
  expect(config.train).toMatchObject({ learning_rate: 0.5, max_steps: -1, memory_arena: false, lora: { r: 32, target_modules: ['q_proj', 'k_proj'], layers_to_transform: [0, 1] } });
  expect(config.data.taco).toEqual(['a.jsonl', 'b.parquet']);
  expect(config.teacher.urls).toEqual(['http://127.0.0.1:8000/v1']);
  expect(config.eval.prompt_style).toBe('chat');
  expect(() => parseRunConfig(applySettingFlags({}, FLAGS, { 'train.lora.r': 'eight' }))).toThrow(/train\.lora\.r/);
});

/**
 * A stage command's flags: its own (decided by the run when it runs the stage) and the settings of
 * its run config section, which must be the same settings under the same names.
 */
const STAGE_COMMANDS: Record<string, { section: string; own: string[] }> = {
  'data taco': { section: 'data', own: ['in', 'contexts', 'tokenizer', 'tokenizer-revision', 'out'] },
  // examples: the data stage's file; data: the removed selection input, refused with a pointer to --examples.
  contexts: { section: 'teacher', own: ['teacher-url', 'model', 'examples', 'data', 'out', 'no-progress'] },
  eval: { section: 'eval', own: ['model', 'revision', 'adapter', 'adapter-revision', 'threads', 'device', 'allow-cpu-fallback', 'benchmark', 'samples', 'data', 'partial', 'out', 'no-progress'] },
  train: { section: 'train', own: ['no-progress'] },
};
// What `codistill run` decides for the stage commands' settings: not in its sections.
const RUN_DECIDES: Record<string, string[]> = {
  data: ['taco'],
  teacher: ['urls', 'model', 'serve_max_tokens'],
  eval: [],
  train: ['model_name_or_path', 'model_revision', 'train_file', 'output_dir', 'resume_from_checkpoint', 'device', 'threads', 'allow_cpu_fallback', 'cache_dir'],
};

test.each(Object.keys(STAGE_COMMANDS))('`codistill %s` takes its run config section\'s settings as flags, under their names', (name) => {
  const program = new Command();
  registerCommands(program);
  const command = name.split(' ').reduce<Command>((c, part) => c.commands.find((s) => s.name() === part)!, program);
  const { section, own } = STAGE_COMMANDS[name];
  const shown = command.options.filter((o) => !o.hidden || o.long === '--data').map((o) => o.long!.slice(2));
  const settings = shown.filter((f) => !own.includes(f));
  const inRun = FLAGS.filter((f) => f.path[0] === section).map((f) => f.path.slice(1));
  const toFlag = section === 'train' ? trainFlagName : (p: string[]) => p.join('.');
  const expected = inRun.filter((p) => !RUN_DECIDES[section].includes(p[0])).flatMap((p) => toFlag(p) ?? []);
  expect(settings.filter((f) => !RUN_DECIDES[section].includes(f))).toEqual(expected);
  expect(own.every((f) => shown.includes(f))).toBe(true);
});

test('the shipped sample contexts cover every pair the tiny run selects, all valid', async () => {
  const records = await readContexts(path.join(repoRoot, 'apps/trainer/samples/contexts-sample.jsonl'));
  const tokenizer = TextTokenizer.fromDir(path.join(repoRoot, 'packages/models/test/fixtures/tiny-llama'));
  const { max_tokens: maxTokens, extra, seed, max_tests: maxTests } = parseRunConfig({}).data;
  const { pairs } = await prepareTaco([path.join(repoRoot, 'packages/data/samples/taco-sample.jsonl')], { maxTokens, extra, seed, maxTests, countTokens: (t) => tokenizer.encode(t, false).length });
  expect(pairs.length).toBe(29);
  for (const pair of pairs) {
    const record = records.get(pair.id);
    expect(record?.status).toBe('ok');
    if (record?.status === 'ok') expect(Object.keys(record.sections).sort()).toEqual(['edge_cases', 'formulas', 'intent', 'libraries', 'steps']);
  }
});

test('a missing file of any stage still to run is refused before the first stage, naming its field', async () => {
  const out = path.join(await mkdtemp(path.join(tmpdir(), 'run-files-')), 'run');
  const config = parseRunConfig({ out, data: { taco: ['hub:train', 'nope/taco.jsonl'] }, eval: { humaneval: '/nope/HumanEval.jsonl.gz', mbpp: 'https://example.com/mbpp.jsonl' } });
  const progress = () => ({ update: () => undefined, stop: () => undefined });
  await expect(runPipeline(config, { signal: new AbortController().signal, log: () => undefined, progress })).rejects.toThrow(
    'run config: data.taco[1]: nope/taco.jsonl does not exist; eval.humaneval: /nope/HumanEval.jsonl.gz does not exist',
  );
  expect(existsSync(out)).toBe(false);
});

// Where CUDA runs, there is nothing to refuse.
const noCuda = await probeProvider('cuda');
(noCuda ? test : test.skip)('a device that cannot run here is refused before the run folder is made', async () => {
  const out = path.join(await mkdtemp(path.join(tmpdir(), 'run-device-')), 'run');
  const progress = () => ({ update: () => undefined, stop: () => undefined });
  await expect(runPipeline(parseRunConfig({ out, device: 'cuda' }), { signal: new AbortController().signal, log: () => undefined, progress })).rejects.toThrow(`run config: device cuda: ${noCuda}`);
  expect(existsSync(out)).toBe(false);
});

test('a Hub student is pinned to the commit the run first loads: a rerun after main moved uses the same weights', async () => {
  const home = hubHome();
  const refs = path.join(home, 'hub', 'models--org--tiny', 'refs');
  const out = await mkdtemp(path.join(tmpdir(), 'run-pins-'));
  const snapshot = (commit: string) => path.join(home, 'hub', 'models--org--tiny', 'snapshots', commit);
  await offlineAt(home, async () => {
    const config = parseRunConfig({ out, student: 'org/tiny' });
    const models = runModels(config);
    expect(await models.student()).toBe(snapshot('a'.repeat(40)));
    expect(await models.student()).toBe(await models.student()); // once per process
    writeFileSync(path.join(refs, 'main'), 'b'.repeat(40)); // the repository moved on
    expect(await runModels(config).student()).toBe(snapshot('a'.repeat(40)));
    expect(JSON.parse(readFileSync(path.join(out, MODELS_FILE), 'utf8')).student).toEqual({ id: 'org/tiny', revision: 'main', commit: 'a'.repeat(40) });
    // A revision given is the one loaded (and pinned); a fresh run at main takes main's commit now.
    expect(await runModels(parseRunConfig({ out: await mkdtemp(path.join(tmpdir(), 'run-pins-')), student: 'org/tiny', student_revision: 'v1' })).student()).toBe(snapshot('b'.repeat(40)));
    expect(await runModels(parseRunConfig({ out: await mkdtemp(path.join(tmpdir(), 'run-pins-')), student: 'org/tiny' })).student()).toBe(snapshot('b'.repeat(40)));
    expect((await runMeta(config, {}, false)).student).toBe(`org/tiny (main, commit ${'a'.repeat(40)})`);
  });
  // The stages' inputs name the revision only when one is given, so runs made before the field keep their fingerprints.
  expect(studentInput(parseRunConfig({ student: 'org/tiny' }))).toBe('org/tiny');
  expect(studentInput(parseRunConfig({ student: 'org/tiny', student_revision: 'v1' }))).toBe('org/tiny@v1');
});

test('a Hub CodeBERT is pinned at train.codebert_revision; the train stage names the revisions only when given', async () => {
  const home = hubHome();
  hubCodebert(home);
  const out = await mkdtemp(path.join(tmpdir(), 'run-pins-'));
  const config = parseRunConfig({ out, train: { codebert: 'org/tiny-roberta', codebert_revision: 'v1' } });
  await offlineAt(home, async () => {
    expect(await runModels(config).codebert()).toBe(path.join(home, 'hub', 'models--org--tiny-roberta', 'snapshots', 'd'.repeat(40)));
    expect(JSON.parse(readFileSync(path.join(out, MODELS_FILE), 'utf8')).codebert).toEqual({ id: 'org/tiny-roberta', revision: 'v1', commit: 'd'.repeat(40) });
  });
  // Runs made before the fields existed keep their fingerprints.
  const inputs = (c: typeof config) => JSON.stringify(trainStage.inputs(c));
  expect(inputs(parseRunConfig({}))).not.toMatch(/revision/);
  expect(inputs(config)).toContain('"codebert_revision":"v1"');
  expect(inputs(parseRunConfig({ train: { adapter_name_or_path: 'org/tiny-lora', adapter_revision: 'v1' } }))).toContain('"adapter_revision":"v1"');
});

test('train.load_in_8bit is part of the train stage inputs only when on (earlier runs keep their fingerprints); it and bf16 are refused where the device cannot run them when the config is read', () => {
  const inputs = (train: Record<string, unknown>) => JSON.stringify(trainStage.inputs(parseRunConfig({ train })));
  expect(inputs({})).not.toMatch(/int8/);
  expect(inputs({ load_in_8bit: false })).toBe(inputs({}));
  expect(inputs({ load_in_8bit: true })).toContain('"load_in_8bit":true');
  expect(() => parseRunConfig({ device: 'webgpu', train: { load_in_8bit: true } })).toThrow('run config: train.load_in_8bit runs on the cpu device only, not webgpu (device: webgpu)');
  expect(() => parseRunConfig({ device: 'webgpu', train: { bf16: true } })).toThrow(
    "run config: train.bf16: ONNX Runtime's WebGPU provider has no bfloat16 kernels; use train.fp16 on webgpu, or bf16 on cuda (device: webgpu)",
  );
});

test('a revision of a folder, or of a model the config does not name, is refused before the run folder is made, naming both fields', async () => {
  const out = path.join(await mkdtemp(path.join(tmpdir(), 'run-revision-')), 'run');
  const progress = () => ({ update: () => undefined, stop: () => undefined });
  const start = (config: Record<string, unknown>) => runPipeline(parseRunConfig({ out, ...config }), { signal: new AbortController().signal, log: () => undefined, progress });
  await expect(start({ student_revision: 'v1' })).rejects.toThrow(/^student_revision v1: run config: student .*tiny-llama is a folder, which has no revisions/);
  await expect(start({ train: { codebert_revision: 'v1' } })).rejects.toThrow(/^train.codebert_revision v1: run config: train.codebert .*tiny-roberta is a folder, which has no revisions/);
  await expect(start({ train: { adapter_revision: 'v1' } })).rejects.toThrow('train.adapter_revision v1: no run config: train.adapter_name_or_path to pick a revision of');
  expect(existsSync(out)).toBe(false);
});
