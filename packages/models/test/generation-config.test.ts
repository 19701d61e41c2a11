import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Checkpoint, Generator, penalizeRepetition, samplingDefaults, TextTokenizer, type GenerateOptions } from '../src/index.js';
import { fixture } from './helpers.js';

/** The tiny Llama with `generation` as its generation_config.json (the weights linked, not copied). */
function withGenerationConfig(generation: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-gen-'));
  for (const file of ['config.json', 'tokenizer.json', 'model.safetensors']) fs.symlinkSync(fixture('tiny-llama', file), path.join(dir, file));
  fs.writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify(generation));
  return dir;
}

test("penalizeRepetition is transformers' RepetitionPenaltyLogitsProcessor: seen positive logits divided, negative ones multiplied, on a copy", () => {
  const logits = new Float32Array([2, -2, 0.3, -0.3, 1]);
  const out = penalizeRepetition(logits, new Set([0, 1, 2, 3, 99]), 1.3);
  // What transformers 5.18's processor gives for these float32 scores and ids [[0, 1, 2, 3]] (torch 2.13).
  expect(Array.from(out)).toEqual([1.5384615659713745, -2.5999999046325684, 0.23076924681663513, -0.39000001549720764, 1]);
  expect(Array.from(logits)).toEqual(Array.from(new Float32Array([2, -2, 0.3, -0.3, 1])));
});

describe("generation_config.json's repetition_penalty (tiny-llama-reppen: 1.3)", () => {
  const dir = fixture('tiny-llama-reppen');
  // scripts/greedy-reference.py tiny-llama-reppen wrote these with transformers' generate (its generation_config applied).
  const ref = JSON.parse(fs.readFileSync(path.join(dir, 'greedy-transformers.json'), 'utf8'));
  const plain = JSON.parse(fs.readFileSync(fixture('tiny-llama', 'greedy-transformers.json'), 'utf8'));
  const tokenizer = TextTokenizer.fromDir(dir);
  const warnings: string[] = [];
  let generator: Generator;
  beforeAll(async () => {
    generator = await Generator.create(new Checkpoint(dir), { threads: 1, onWarning: (m) => void warnings.push(m) });
  });
  afterAll(() => generator.release());
  const opts: GenerateOptions = { maxNewTokens: ref.max_new_tokens, eosTokenIds: [] };

  test("is applied by default: greedy tokens equal transformers', each prompt alone and in one left-padded batch", async () => {
    expect(ref.repetition_penalty).toBe(1.3);
    // The penalty changes what two of the prompts continue with, so the reference tests it.
    expect(ref.alone).not.toEqual(plain.alone);
    for (const [i, text] of ref.prompts.entries()) expect((await generator.generateText(tokenizer, [text], opts)).tokenIds[0]).toEqual(ref.alone[i]);
    expect((await generator.generateText(tokenizer, ref.prompts, opts)).tokenIds).toEqual(ref.batched);
    expect(warnings).toEqual([]);
  });

  test('the call overrides it (1 = none); log-probabilities stay the model\'s own', async () => {
    const none = await generator.generateText(tokenizer, ref.prompts, { ...opts, repetitionPenalty: 1 });
    expect(none.tokenIds).toEqual(plain.alone);
    const penalised = await generator.generateText(tokenizer, [ref.prompts[1]], opts);
    const first = penalised.tokenIds[0].findIndex((t: number, s: number) => t !== none.tokenIds[1][s]);
    expect(first).toBeGreaterThan(0);
    // Up to the first token the penalty changes, both runs saw the same logits and report the same log-probabilities.
    for (let s = 0; s < first; s++) expect(penalised.logprobs[0][s]).toBeCloseTo(none.logprobs[1][s], 5);
    expect(penalised.logprobs[0][first]).toBeLessThan(none.logprobs[1][first]); // a token the model found less likely
  });

  test('a penalty that is not a number > 0 is refused, naming where it came from', async () => {
    await expect(generator.generateText(tokenizer, ['x'], { ...opts, repetitionPenalty: 0 })).rejects.toThrow('repetitionPenalty must be a number > 0 (1 = no penalty), got 0');
    const bad = withGenerationConfig({ repetition_penalty: -1 });
    const g = await Generator.create(new Checkpoint(bad), { threads: 1 });
    await expect(g.generateText(tokenizer, ['x'], opts)).rejects.toThrow(`${path.join(bad, 'generation_config.json')}: repetition_penalty must be a number > 0 (1 = no penalty), got -1`);
    await g.release();
  });
});

test('generation_config.json settings codistill does not apply are warned about once, naming them', async () => {
  const dir = withGenerationConfig({ eos_token_id: 1, no_repeat_ngram_size: 3, suppress_tokens: [], do_sample: true, temperature: 0.7, top_k: 20, top_p: 0.8, typical_p: 1 });
  const tokenizer = TextTokenizer.fromDir(dir);
  const warnings: string[] = [];
  const generator = await Generator.create(new Checkpoint(dir), { threads: 1, onWarning: (m) => void warnings.push(m) });
  const file = path.join(dir, 'generation_config.json');
  try {
    await generator.generateText(tokenizer, ['x'], { maxNewTokens: 2 });
    await generator.generateText(tokenizer, ['y'], { maxNewTokens: 2 });
    expect(warnings).toEqual([
      `${file}: not applied by codistill, so its tokens can differ from transformers' generate(): no_repeat_ngram_size 3 (not implemented); do_sample true, temperature 0.7, top_k 20, top_p 0.8 (codistill decodes greedily unless given a temperature)`,
    ]);
    // Temperature 0 chose greedy decoding: do_sample is not the call's default then.
    await generator.generateText(tokenizer, ['x'], { maxNewTokens: 2, temperature: 0 });
    expect(warnings[1]).toBe(`${file}: not applied by codistill, so its tokens can differ from transformers' generate(): no_repeat_ngram_size 3 (not implemented)`);
    // Sampling with the call's temperature: the top-k and top-p it does not give are the ones not applied.
    await generator.generateText(tokenizer, ['x'], { maxNewTokens: 2, temperature: 0.7, topP: 0.8 });
    expect(warnings[2]).toBe(`${file}: not applied by codistill, so its tokens can differ from transformers' generate(): no_repeat_ngram_size 3 (not implemented); top_k 20 (codistill samples with the call's top-k and top-p only)`);
    expect(warnings).toHaveLength(3);
  } finally {
    await generator.release();
  }
});

test("samplingDefaults: what vLLM's server takes from generation_config.json (whatever do_sample says); out of range is refused naming the field", () => {
  const defaults = (generation: Record<string, unknown>) => samplingDefaults(new Checkpoint(withGenerationConfig(generation)));
  expect(defaults({ do_sample: false, temperature: 0.6, top_p: 0.9, top_k: 20, max_new_tokens: 64, repetition_penalty: 1.1 })).toEqual({ temperature: 0.6, topP: 0.9, topK: 20, maxTokens: 64 });
  expect(defaults({ temperature: null })).toEqual({});
  for (const [field, value, range] of [['temperature', -1, 'a number >= 0'], ['top_p', 0, 'a number in (0, 1]'], ['top_k', 2.5, 'an integer >= 0'], ['max_new_tokens', '8', 'an integer > 0']] as const) {
    expect(() => defaults({ [field]: value })).toThrow(`generation_config.json: ${field} must be ${range}`);
  }
});
