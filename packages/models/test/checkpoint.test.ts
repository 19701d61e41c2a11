import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { float32ToHalf, type HostTensor, Runner } from '@codistill/graph';
import { buildCausalLm, Checkpoint, loadSafetensors, readSafetensorsHeader, writeSafetensors } from '../src/index.js';
import { fixture, ones, relativeError, run } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ref = loadSafetensors(fixture('tiny-llama', 'ref.safetensors'));
const weights = loadSafetensors(fixture('tiny-llama', 'model.safetensors'));

/** The tiny Llama re-saved in `dtype`, split into `shards` files with an index when more than one. */
function resave(dtype: 'float32' | 'float16' | 'bfloat16', shards: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-ckpt-'));
  for (const f of ['config.json', 'generation_config.json']) fs.copyFileSync(fixture('tiny-llama', f), path.join(dir, f));
  const names = Object.keys(weights);
  const convert = (t: HostTensor): HostTensor => (dtype === 'float32' ? t : { dtype, dims: t.dims, data: float32ToHalf(dtype, t.data as Float32Array) });
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < shards; s++) {
    const file = shards === 1 ? 'model.safetensors' : `model-0000${s + 1}-of-0000${shards}.safetensors`;
    const part = names.filter((_, i) => i % shards === s);
    writeSafetensors(path.join(dir, file), Object.fromEntries(part.map((n) => [n, convert(weights[n])])));
    for (const n of part) weightMap[n] = file;
  }
  if (shards > 1) fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  return dir;
}

async function logitsError(dir: string): Promise<{ error: number; ckpt: Checkpoint }> {
  const ckpt = new Checkpoint(dir);
  const session = await Runner.create(buildCausalLm(ckpt).toModel(), { externalDataDir: ckpt.externalDataDir, threads: 1 });
  const out = await run(session, { input_ids: ref.input_ids, attention_mask: ones(ref.input_ids.dims) });
  await session.release();
  return { error: relativeError(out.logits.data as Float32Array, ref.logits.data as Float32Array), ckpt };
}

test('the header parser reads names, dtypes, shapes and absolute offsets without the data', () => {
  const h = readSafetensorsHeader(fixture('tiny-llama', 'model.safetensors'));
  const e = h.tensors.get('model.layers.0.self_attn.k_proj.weight')!;
  expect([e.dtype, e.shape, e.length]).toEqual(['float32', [32, 64], 32 * 64 * 4]);
  expect(h.metadata).toEqual({ format: 'pt' });
  const roundTrip = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-st-')), 'x.safetensors');
  writeSafetensors(roundTrip, { w: weights['model.norm.weight'] });
  expect(Array.from(loadSafetensors(roundTrip).w.data as Float32Array)).toEqual(Array.from(weights['model.norm.weight'].data as Float32Array));
});

test('sharded checkpoints with an index load like a single file', async () => {
  const { error, ckpt } = await logitsError(resave('float32', 3));
  expect(error).toBeLessThan(1e-4);
  expect(new Set([...ckpt.tensors.values()].map((t) => t.file)).size).toBe(3);
  expect(ckpt.castReport()).toBeUndefined();
});

test('missing weights are named: a shard the index names, none at all, and PyTorch weights only', () => {
  const sharded = resave('float32', 3);
  fs.rmSync(path.join(sharded, 'model-00002-of-00003.safetensors'));
  expect(() => new Checkpoint(sharded)).toThrow(`${sharded} does not appear to have a file named model-00002-of-00003.safetensors, which model.safetensors.index.json names: an incomplete download or copy?`);
  fs.rmSync(path.join(sharded, 'model-00003-of-00003.safetensors'));
  expect(() => new Checkpoint(sharded)).toThrow(/model-00002-of-00003\.safetensors \(nor 1 more shards\)/);
  const empty = resave('float32', 1);
  fs.rmSync(path.join(empty, 'model.safetensors'));
  expect(() => new Checkpoint(empty)).toThrow(`${empty}: no model weights (model.safetensors, or model.safetensors.index.json and its shards): an incomplete download or copy?`);
  fs.writeFileSync(path.join(empty, 'pytorch_model.bin'), '');
  expect(() => new Checkpoint(empty)).toThrow(`${empty}: no *.safetensors weights, only pytorch_model.bin (PyTorch weights are not supported; convert them with safetensors)`);
});

test('bfloat16 and float16 weights are cast once at load and stay close to float32', async () => {
  const bf16 = await logitsError(resave('bfloat16', 1));
  expect(bf16.error).toBeLessThan(5e-2); // bfloat16 keeps 8 mantissa bits; std-0.3 weights amplify it
  expect(bf16.ckpt.castReport()).toMatch(/bfloat16 -> float32/);
  const f16 = await logitsError(resave('float16', 2));
  expect(f16.error).toBeLessThan(1e-2);
});

test('a truncated file is reported as truncated, with its name; so are trailing bytes', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-bad-')), 'model.safetensors');
  const whole = fs.readFileSync(fixture('tiny-llama', 'model.safetensors'));
  fs.writeFileSync(file, whole.subarray(0, 4000));
  expect(() => readSafetensorsHeader(file)).toThrow(new RegExp(`^${file}: truncated: the header describes ${whole.length} bytes, the file has 4000`));
  fs.writeFileSync(file, whole.subarray(0, 5));
  expect(() => readSafetensorsHeader(file)).toThrow(`${file}: truncated: 5 bytes`);
  fs.writeFileSync(file, Buffer.concat([whole, Buffer.alloc(3)]));
  expect(() => readSafetensorsHeader(file)).toThrow(`${file}: 3 bytes after the last tensor`);
});

test('a write the disk refuses fails loudly and keeps the old file whole', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-full-'));
  const file = path.join(dir, 'bridge.safetensors');
  writeSafetensors(file, { w: weights['model.norm.weight'] });
  const before = fs.readFileSync(file);
  // RLIMIT_FSIZE of 64 KiB stands in for a full disk: the kernel cuts the 1 MiB tensor short.
  const script = `process.on('SIGXFSZ', () => {});
    const { writeSafetensors } = await import(${JSON.stringify(path.join(here, '../src/safetensors.ts'))});
    try { writeSafetensors(${JSON.stringify(file)}, { w: { dtype: 'float32', dims: [262144], data: new Float32Array(262144) } }); console.log('wrote'); }
    catch (e) { console.log('refused: ' + e.message); }`;
  fs.writeFileSync(path.join(dir, 'write.mts'), script);
  const tsx = path.join(here, '../../../node_modules/.bin/tsx');
  const run = spawnSync('bash', ['-c', `ulimit -f 64; exec ${tsx} ${path.join(dir, 'write.mts')}`], { encoding: 'utf8' });
  expect(run.stdout).toMatch(/refused: cannot write .*bridge\.safetensors: EFBIG/);
  expect(fs.readFileSync(file).equals(before)).toBe(true);
  expect(fs.readdirSync(dir).sort()).toEqual(['bridge.safetensors', 'write.mts']);
});
