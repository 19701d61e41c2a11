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
 * Adds `org/<name>` to a hub home from the fixture folder `from`: at `v1` (commit d...) the whole
 * fixture, at `main` (commit e...) a later commit whose snapshot holds only the first of `files` (its
 * config), without the weights (so that which revision was read shows).
 */
function hubRepoWithoutWeightsAtMain(home: string, name: string, from: string, files: string[]): void {
  const repo = path.join(home, 'hub', `models--org--${name}`);
  for (const [ref, commit, kept] of [['v1', 'd'.repeat(40), files], ['main', 'e'.repeat(40), files.slice(0, 1)]] as const) {
    const snapshot = path.join(repo, 'snapshots', commit);
    fs.mkdirSync(snapshot, { recursive: true });
    for (const file of kept) fs.copyFileSync(path.join(from, file), path.join(snapshot, file));
    fs.mkdirSync(path.join(repo, 'refs'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'refs', ref), commit);
  }
}

/** org/tiny-lora: the PEFT adapter of @codistill/lora's fixtures at `v1`, its config alone at `main`. */
export const hubAdapter = (home: string): void =>
  hubRepoWithoutWeightsAtMain(home, 'tiny-lora', path.join(fixtures, '../../../lora/test/fixtures/peft-adapter'), ['adapter_config.json', 'adapter_model.safetensors']);

/** org/tiny-roberta: @codistill/models' tiny CodeBERT at `v1`, its config alone at `main`. */
export const hubCodebert = (home: string): void =>
  hubRepoWithoutWeightsAtMain(home, 'tiny-roberta', path.join(fixtures, 'tiny-roberta'), ['config.json', 'tokenizer.json', 'model.safetensors']);

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
