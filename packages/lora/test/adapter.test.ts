import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GraphBuilder, hostTensor, Runner, type HostTensor } from '@codistill/graph';
import { buildCausalLm, Checkpoint, readSafetensorsHeader } from '@codistill/models';
import {
  ADAPTER_CONFIG,
  ADAPTER_WEIGHTS,
  initLoraWeights,
  loadAdapter,
  loraHook,
  mergeAdapter,
  parseLoraConfig,
  resolveAdapter,
  saveAdapter,
  scaling,
  targets,
  unmergeAdapter,
  type Adapter,
} from '../src/index.js';
import { fixture, relativeError, tinyLlama } from './helpers.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-lora-'));
const peft = loadAdapter(fixture('peft-adapter'));
const ids = hostTensor('int64', [1, 8], [5, 17, 99, 3, 250, 8, 42, 7]);
const mask = hostTensor('int64', [1, 8], new Array(8).fill(1));

async function logits(dir: string, adapter?: Adapter): Promise<Float32Array> {
  const ckpt = new Checkpoint(dir);
  const lora = adapter && loraHook(adapter.config);
  const lm = buildCausalLm(ckpt, { linear: lora?.hook, graph: new GraphBuilder() });
  const run = await Runner.create(lm.toModel(), { externalDataDir: ckpt.externalDataDir, threads: 1 });
  const feeds: Record<string, HostTensor> = { input_ids: ids, attention_mask: mask };
  for (const m of lora?.modules ?? []) {
    feeds[m.A.name] = hostTensor('float32', [adapter!.config.r, m.inFeatures], adapter!.weights[m.A.name]);
    feeds[m.B.name] = hostTensor('float32', [m.outFeatures, adapter!.config.r], adapter!.weights[m.B.name]);
  }
  const out = (await run.run(feeds)).outputs.logits.data as Float32Array;
  await run.release();
  return out;
}

test("a saved adapter has exactly PEFT's tensor names, shapes and config keys", () => {
  const dir = tmp();
  saveAdapter(dir, peft);
  const ours = readSafetensorsHeader(path.join(dir, ADAPTER_WEIGHTS));
  const theirs = readSafetensorsHeader(fixture('peft-adapter', ADAPTER_WEIGHTS));
  const layout = (h: typeof ours) => [...h.tensors.values()].map((t) => [t.name, t.dtype, t.shape]).sort();
  expect(layout(ours)).toEqual(layout(theirs));
  expect(ours.metadata).toEqual({ format: 'pt' });
  const config = JSON.parse(fs.readFileSync(path.join(dir, ADAPTER_CONFIG), 'utf8'));
  const peftConfig = JSON.parse(fs.readFileSync(fixture('peft-adapter', ADAPTER_CONFIG), 'utf8'));
  // Every key we write is one PEFT writes, with PEFT's value for the same settings.
  for (const [k, v] of Object.entries(config)) {
    expect(peftConfig).toHaveProperty(k);
    if (!['init_lora_weights', 'task_type', 'auto_mapping'].includes(k)) expect([k, v]).toEqual([k, peftConfig[k]]);
  }
  expect(fs.readdirSync(dir).sort()).toEqual([ADAPTER_CONFIG, ADAPTER_WEIGHTS]);
  const back = loadAdapter(dir);
  for (const [n, w] of Object.entries(peft.weights)) expect(Array.from(back.weights[n])).toEqual(Array.from(w));
});

test('merging folds the adapter into the weights: the merged model gives the adapted logits; unmerge restores', async () => {
  const withAdapter = await logits(tinyLlama(), peft);
  const base = await logits(tinyLlama());
  expect(relativeError(withAdapter, base)).toBeGreaterThan(1e-3); // the adapter changes the model
  const merged = tmp();
  mergeAdapter(tinyLlama(), peft, merged);
  expect(fs.existsSync(path.join(merged, 'config.json'))).toBe(true);
  expect(relativeError(await logits(merged), withAdapter)).toBeLessThan(1e-5);
  const restored = tmp();
  unmergeAdapter(merged, peft, restored);
  expect(relativeError(await logits(restored), base)).toBeLessThan(1e-5);
});

test("module matching follows PEFT: suffix names, full-path regex, 'all-linear', layers_to_transform", () => {
  const q0 = 'model.layers.0.self_attn.q_proj';
  const q1 = 'model.layers.1.self_attn.q_proj';
  expect(targets(parseLoraConfig({ target_modules: ['q_proj'] }), q0)).toBe(true);
  expect(targets(parseLoraConfig({ target_modules: ['proj'] }), q0)).toBe(false);
  expect(targets(parseLoraConfig({ target_modules: '.*\\.(q|v)_proj' }), q1)).toBe(true);
  expect(targets(parseLoraConfig({ target_modules: 'q_proj' }), q1)).toBe(false); // a string is a full match
  expect(targets(parseLoraConfig({ target_modules: ['q_proj'], layers_to_transform: [1] }), q0)).toBe(false);
  expect(targets(parseLoraConfig({ target_modules: ['q_proj'], layers_to_transform: 1 }), q1)).toBe(true);
  // A name equal to the whole path matches as is; an empty layers_to_transform is every layer (PEFT's check_target_module_exists).
  expect(targets(parseLoraConfig({ target_modules: [q0], layers_to_transform: [1] }), q0)).toBe(true);
  expect(targets(parseLoraConfig({ target_modules: ['q_proj'], layers_to_transform: [] }), q1)).toBe(true);
  const allLinear = parseLoraConfig({ target_modules: 'all-linear' });
  expect([q0, 'model.layers.1.mlp.down_proj', 'lm_head'].map((m) => targets(allLinear, m))).toEqual([true, true, false]);
  expect(targets(allLinear, 'model.layers.0.mlp.act_fn', false)).toBe(false); // every nn.Linear, nothing else
  expect(scaling(parseLoraConfig({ r: 16, lora_alpha: 32 }))).toBe(2);
  expect(scaling(parseLoraConfig({ r: 16, lora_alpha: 32, use_rslora: true }))).toBe(8);
});

test('initialisation: A Kaiming-uniform or gaussian, B zero, so the adapted model starts as the base', async () => {
  const config = parseLoraConfig({ r: 8, target_modules: ['q_proj', 'v_proj', 'down_proj'] });
  const { hook, modules } = loraHook(config);
  buildCausalLm(new Checkpoint(tinyLlama()), { linear: hook, graph: new GraphBuilder() });
  expect(modules.map((m) => m.module)).toContain('model.layers.1.mlp.down_proj');
  const w = initLoraWeights(config, modules, 3);
  const down = modules.find((m) => m.module.endsWith('down_proj'))!;
  const a = w[down.A.name];
  expect(a).toHaveLength(8 * 128);
  expect(Math.max(...a)).toBeLessThanOrEqual(1 / Math.sqrt(128));
  expect(Math.max(...a)).toBeGreaterThan(0.8 / Math.sqrt(128));
  expect(w[down.B.name].every((v) => v === 0)).toBe(true);
  const g = initLoraWeights(parseLoraConfig({ ...config, init_lora_weights: 'gaussian' }), modules, 3)[down.A.name];
  const std = Math.sqrt(g.reduce((s, v) => s + v * v, 0) / g.length);
  expect(std).toBeGreaterThan(0.1);
  expect(std).toBeLessThan(0.15); // 1 / r = 0.125
});

test("resolveAdapter: a folder as given, a Hub id from the Hugging Face cache (PEFT's from_pretrained takes either)", async () => {
  expect(await resolveAdapter(fixture('peft-adapter'))).toBe(fixture('peft-adapter'));
  const cacheDir = tmp();
  const commit = 'b'.repeat(40);
  const repo = path.join(cacheDir, 'models--org--adapter');
  fs.mkdirSync(path.join(repo, 'snapshots', commit), { recursive: true });
  for (const file of [ADAPTER_CONFIG, ADAPTER_WEIGHTS]) fs.copyFileSync(fixture('peft-adapter', file), path.join(repo, 'snapshots', commit, file));
  fs.mkdirSync(path.join(repo, 'refs'));
  fs.writeFileSync(path.join(repo, 'refs', 'main'), commit);
  const dir = await resolveAdapter('org/adapter', { cacheDir, offline: true });
  expect(dir).toBe(path.join(repo, 'snapshots', commit));
  expect(loadAdapter(dir).weights).toEqual(peft.weights);
  // A cached model repo (config.json, no adapter_config.json) is not an adapter.
  const model = path.join(cacheDir, 'models--org--model');
  fs.mkdirSync(path.join(model, 'snapshots', commit), { recursive: true });
  fs.writeFileSync(path.join(model, 'snapshots', commit, 'config.json'), '{}');
  fs.mkdirSync(path.join(model, 'refs'));
  fs.writeFileSync(path.join(model, 'refs', 'main'), commit);
  await expect(resolveAdapter('org/model', { cacheDir, offline: true })).rejects.toThrow(/org\/model@main is not in the cache/);
  await expect(resolveAdapter('/no/such/adapter')).rejects.toThrow(/neither a folder nor a Hub PEFT adapter id/);
});

test('bad adapter input is a clear error', () => {
  const dir = tmp();
  expect(() => loadAdapter(dir)).toThrow(/no adapter_config.json/);
  fs.writeFileSync(path.join(dir, ADAPTER_CONFIG), JSON.stringify({ peft_type: 'LORA', r: 4, use_dora: true }));
  expect(() => loadAdapter(dir)).toThrow(/unsupported PEFT setting\(s\) use_dora=true/);
  fs.writeFileSync(path.join(dir, ADAPTER_CONFIG), JSON.stringify({ r: -1 }));
  expect(() => loadAdapter(dir)).toThrow(/adapter_config.json: r:/);
  expect(() => parseLoraConfig({ lora_dropout: 1 })).toThrow(/lora_dropout/);
});

test('a torn config or a truncated weights file is an error naming the file', () => {
  const dir = tmp();
  saveAdapter(dir, peft);
  const config = path.join(dir, ADAPTER_CONFIG);
  const whole = fs.readFileSync(config, 'utf8');
  fs.writeFileSync(config, whole.slice(0, 40));
  expect(() => loadAdapter(dir)).toThrow(`${config}: invalid JSON`);
  fs.writeFileSync(config, whole);
  const weights = path.join(dir, ADAPTER_WEIGHTS);
  fs.truncateSync(weights, fs.statSync(weights).size - 100);
  expect(() => loadAdapter(dir)).toThrow(`${weights}: truncated`);
});

test('weights whose rank disagrees with the config name the tensor and the r', () => {
  const dir = tmp();
  saveAdapter(dir, peft);
  const config = path.join(dir, ADAPTER_CONFIG);
  const r = JSON.parse(fs.readFileSync(config, 'utf8')).r as number;
  fs.writeFileSync(config, JSON.stringify({ ...JSON.parse(fs.readFileSync(config, 'utf8')), r: r * 2 }));
  expect(() => loadAdapter(dir)).toThrow(new RegExp(`lora_A\\.weight has shape \\[${r}, \\d+\\], but adapter_config\\.json says r = ${r * 2}`));
});
