import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { readContexts } from '@codistill/context';
import { prepareTaco } from '@codistill/data';
import { TextTokenizer } from '@codistill/models';
import { registerCommands } from '../src/commands/index.js';
import { register } from '../src/commands/init.js';
import { parseRunConfig, runConfigSchema, stripComments } from '../src/run/config.js';
import { applyFlags, configFlags } from '../src/run/flags.js';
import { runCommand } from './run-command.js';

const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const FLAGS = configFlags(runConfigSchema);

test('init writes a commented config that parses back to the preset', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'init-'));
  const out = path.join(dir, 'run.json');
  await runCommand(register, ['init', '--out', out]);
  await expect(runCommand(register, ['init', '--out', out])).rejects.toThrow(/exists: pass --force/);
  const written = JSON.parse(await readFile(out, 'utf8'));
  expect(written['//']).toMatch(/codistill run/);
  expect(written.data['//maxTokens']).toMatch(/student-token budget/);
  expect(parseRunConfig(stripComments(written))).toEqual(parseRunConfig({}));

  const paper = path.join(dir, 'paper.json');
  await runCommand(register, ['init', '--preset', 'paper', '--out', paper]);
  const config = parseRunConfig(stripComments(JSON.parse(await readFile(paper, 'utf8'))));
  expect(config).toMatchObject({ student: 'meta-llama/Llama-3.1-8B', device: 'cuda', teacher: { model: 'meta-llama/Llama-3.1-70B-Instruct' }, train: { lora: { r: 32, lora_alpha: 32 }, dtype: 'float16' } });
});

test('config errors name the field', () => {
  expect(() => parseRunConfig({ train: { steps: 0 } }, 'run.json')).toThrow(/^run\.json: train\.steps: /);
  expect(() => parseRunConfig({ teacher: { urls: ['not a url'] } })).toThrow(/teacher\.urls\.0/);
  expect(() => parseRunConfig({ trian: {} })).toThrow(/trian/);
  expect(() => parseRunConfig({ train: { lora: { lora_alpa: 3 } } })).toThrow(/train\.lora.*lora_alpa/);
});

test('every config field is a `codistill run` flag, parsed to the field type', () => {
  const paths = FLAGS.map((f) => f.path);
  expect(paths).toEqual(expect.arrayContaining(['out', 'data.taco', 'teacher.urls', 'train.lora.r', 'train.lora.target_modules', 'train.schedule.end', 'eval.limit']));
  const raw = applyFlags({ train: { lr: 0.5 } }, FLAGS, {
    'train.lora.r': '32',
    'train.lora.target_modules': 'q_proj,k_proj',
    'train.memoryArena': 'false',
    'train.steps': 'null',
    'data.taco': 'a.jsonl,b.parquet',
    'teacher.urls': '["http://127.0.0.1:8000/v1"]',
    'train.lora.layers_to_transform': '0,1',
    'eval.promptStyle': 'chat',
  });
  const config = parseRunConfig(raw);
  expect(config.train).toMatchObject({ lr: 0.5, steps: null, memoryArena: false, lora: { r: 32, target_modules: ['q_proj', 'k_proj'], layers_to_transform: [0, 1] } });
  expect(config.data.taco).toEqual(['a.jsonl', 'b.parquet']);
  expect(config.teacher.urls).toEqual(['http://127.0.0.1:8000/v1']);
  expect(config.eval.promptStyle).toBe('chat');
  expect(() => parseRunConfig(applyFlags({}, FLAGS, { 'train.lora.r': 'eight' }))).toThrow(/train\.lora\.r/);
});

/** Where each flag of the stage commands lives in the run config ('-' = decided by the run itself). */
const STAGE_FLAGS: Record<string, Record<string, string>> = {
  'data taco': { in: 'data.taco', contexts: '-', tokenizer: 'student', maxTokens: 'data.maxTokens', extra: 'data.extra', seed: 'data.seed', maxTests: 'data.maxTests', cacheDir: 'data.cacheDir', out: '-' },
  contexts: {
    teacherUrl: 'teacher.urls', model: 'teacher.model', data: 'data.taco', out: '-', concurrency: 'teacher.concurrency', maxProblems: 'teacher.maxProblems', apiKeyEnv: 'teacher.apiKeyEnv',
    stream: 'teacher.stream', timeout: 'teacher.timeout', retries: 'teacher.retries', temperature: 'teacher.temperature', maxTokens: 'data.maxTokens', extra: 'data.extra', seed: 'data.seed',
    retryFailed: 'teacher.retryFailed', maxUnavailable: 'teacher.maxUnavailable', progress: 'progress',
  },
  train: {
    model: 'student', data: '-', out: '-', loraR: 'train.lora.r', loraAlpha: 'train.lora.lora_alpha', loraDropout: 'train.lora.lora_dropout', targetModules: 'train.lora.target_modules',
    rslora: 'train.lora.use_rslora', optimizer: 'train.optimizer', lr: 'train.lr', weightDecay: 'train.weightDecay', warmupSteps: 'train.warmupSteps', decay: 'train.decay',
    steps: 'train.steps', epochs: 'train.epochs', batchSize: 'train.batchSize', gradAccum: 'train.gradAccum', maxGradNorm: 'train.maxGradNorm', maxLength: 'train.maxLength',
    seed: 'train.seed', codebert: 'train.codebert', alphaSchedule: 'train.schedule.kind', alphaStart: 'train.schedule.start', alphaEnd: 'train.schedule.end',
    minAlpha: 'train.schedule.minAlpha', minBeta: 'train.schedule.minBeta', valFraction: 'train.valFraction', checkpointEvery: 'train.checkpointEvery', device: 'device', allowCpuFallback: 'allowCpuFallback',
    dtype: 'train.dtype', threads: 'threads', memoryArena: 'train.memoryArena', chunkedCrossEntropy: 'train.chunkedCrossEntropy', gradientCheckpointing: 'train.gradientCheckpointing', resume: '-', progress: 'progress',
  },
  eval: {
    model: 'student', adapter: '-', humaneval: 'eval.humaneval', humanevalplus: 'eval.humanevalplus', mbpp: 'eval.mbpp', mbppplus: 'eval.mbppplus', limit: 'eval.limit',
    maxNewTokens: 'eval.maxNewTokens', promptStyle: 'eval.promptStyle', device: 'device', allowCpuFallback: 'allowCpuFallback', threads: 'threads', benchmark: '-', samples: '-', data: '-', out: '-',
    workers: 'eval.workers', timeout: 'eval.timeout', sandbox: 'eval.sandbox', requireSandbox: 'eval.requireSandbox', python: 'eval.python', partial: '-', progress: 'progress',
  },
};

test.each(Object.keys(STAGE_FLAGS))('every flag of `codistill %s` has its run config key', (name) => {
  const program = new Command();
  registerCommands(program);
  const command = name.split(' ').reduce<Command>((c, part) => c.commands.find((s) => s.name() === part)!, program);
  const flags = command.options.map((o) => o.attributeName());
  expect(flags.sort()).toEqual(Object.keys(STAGE_FLAGS[name]).sort());
  const paths = new Set(FLAGS.map((f) => f.path));
  for (const key of Object.values(STAGE_FLAGS[name])) if (key !== '-') expect(paths).toContain(key);
});

test('the shipped sample contexts cover every pair the tiny run selects, all valid', async () => {
  const records = await readContexts(path.join(repoRoot, 'apps/trainer/samples/contexts-sample.jsonl'));
  const tokenizer = TextTokenizer.fromDir(path.join(repoRoot, 'packages/models/test/fixtures/tiny-llama'));
  const { maxTokens, extra, seed, maxTests } = parseRunConfig({}).data;
  const { pairs } = await prepareTaco([path.join(repoRoot, 'packages/data/samples/taco-sample.jsonl')], { maxTokens, extra, seed, maxTests, countTokens: (t) => tokenizer.encode(t, false).length });
  expect(pairs.length).toBe(29);
  for (const pair of pairs) {
    const record = records.get(pair.id);
    expect(record?.status).toBe('ok');
    if (record?.status === 'ok') expect(Object.keys(record.sections).sort()).toEqual(['edge_cases', 'formulas', 'intent', 'libraries', 'steps']);
  }
});
