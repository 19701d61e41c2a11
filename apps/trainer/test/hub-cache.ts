import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/models/test/fixtures');

/**
 * A Hugging Face home whose hub cache holds org/tiny as huggingface_hub lays it out: `main` is the
 * tiny Llama, `v1` the same weights with repetition_penalty 1.3 in generation_config.json
 * (@codistill/models' tiny-llama-reppen, with transformers' greedy tokens for both).
 */
export function hubHome(): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-hf-home-'));
  const repo = path.join(home, 'hub', 'models--org--tiny');
  for (const [ref, commit, fixture] of [['main', 'a'.repeat(40), 'tiny-llama'], ['v1', 'b'.repeat(40), 'tiny-llama-reppen']]) {
    const snapshot = path.join(repo, 'snapshots', commit);
    fs.mkdirSync(snapshot, { recursive: true });
    for (const file of ['config.json', 'generation_config.json', 'tokenizer.json', 'model.safetensors']) fs.copyFileSync(path.join(fixtures, fixture, file), path.join(snapshot, file));
    fs.mkdirSync(path.join(repo, 'refs'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'refs', ref), commit);
  }
  return home;
}

/**
 * Adds org/tiny-lora to a hub home: at `v1` the PEFT adapter of @codistill/lora's fixtures, at
 * `main` a later commit whose snapshot lacks the weights (so that which revision was read shows).
 */
export function hubAdapter(home: string): void {
  const repo = path.join(home, 'hub', 'models--org--tiny-lora');
  const adapter = path.join(fixtures, '../../../lora/test/fixtures/peft-adapter');
  for (const [ref, commit, files] of [['v1', 'd'.repeat(40), ['adapter_config.json', 'adapter_model.safetensors']], ['main', 'e'.repeat(40), ['adapter_config.json']]] as const) {
    const snapshot = path.join(repo, 'snapshots', commit);
    fs.mkdirSync(snapshot, { recursive: true });
    for (const file of files) fs.copyFileSync(path.join(adapter, file), path.join(snapshot, file));
    fs.mkdirSync(path.join(repo, 'refs'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'refs', ref), commit);
  }
}

/** transformers' greedy tokens for a fixture (scripts/greedy-reference.py in @codistill/models). */
export const greedyReference = (fixture: string) => JSON.parse(fs.readFileSync(path.join(fixtures, fixture, 'greedy-transformers.json'), 'utf8'));

/** Runs `body` with HF_HOME at `home` and offline mode on (no Hub in tests), restoring the environment after. */
export async function offlineAt<T>(home: string, body: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const name of ['HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'TRANSFORMERS_OFFLINE']) delete process.env[name];
  Object.assign(process.env, { HF_HOME: home, HF_HUB_OFFLINE: '1' });
  try {
    return await body();
  } finally {
    process.env = saved;
  }
}
