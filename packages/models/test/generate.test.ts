import fs from 'node:fs';
import { hostTensor, Runner } from '@codistill/graph';
import { argmax, buildCausalLm, Checkpoint, Generator, logProbOf, streamablePrefix, TextTokenizer, TokenScorer, type LinearHook } from '../src/index.js';
import { defaultLinear } from '../src/linear.js';
import { fixture, ones, run } from './helpers.js';

const ckpt = new Checkpoint(fixture('tiny-llama'));
const tokenizer = TextTokenizer.fromDir(fixture('tiny-llama'));
const V = 384;
const prompt = tokenizer.encode('def is_monotonic(arr):\n');

let generator: Generator;
let full: Runner;
beforeAll(async () => {
  generator = await Generator.create(ckpt, { threads: 1 });
  full = await Runner.create(buildCausalLm(ckpt).toModel(), { externalDataDir: ckpt.externalDataDir, threads: 1 });
});

test('greedy decoding with the KV cache equals argmax of full recomputation, logits within 1e-4', async () => {
  const stepLogits: Float32Array[] = [];
  const r = await generator.generate(hostTensor('int64', [1, prompt.length], prompt), ones([1, prompt.length]), {
    maxNewTokens: 12,
    eosTokenIds: [],
    onLogits: (_s, l) => stepLogits.push(l.slice()),
  });
  const seq = [...prompt, ...r.tokenIds[0]];
  const out = await run(full, { input_ids: hostTensor('int64', [1, seq.length], seq), attention_mask: ones([1, seq.length]) });
  const logits = out.logits.data as Float32Array;
  r.tokenIds[0].forEach((token, s) => {
    const recomputed = logits.subarray((prompt.length - 1 + s) * V, (prompt.length + s) * V);
    expect(token).toBe(argmax(recomputed));
    const scale = Math.max(...recomputed.map(Math.abs));
    expect(Math.max(...stepLogits[s].map((v, i) => Math.abs(v - recomputed[i])))).toBeLessThan(1e-4 * scale);
    expect(r.logprobs[0][s]).toBeCloseTo(logProbOf(recomputed, token), 4);
  });
  expect(new Set(r.tokenIds[0]).size).toBeGreaterThan(1); // std 0.3 weights: not a degenerate repeat
  expect(r.finishReasons).toEqual(['length']);
});

test("greedy tokens equal transformers' generate, each prompt alone and all of them in one left-padded batch", async () => {
  // scripts/greedy-reference.py wrote these with transformers' generate (do_sample=False, no EOS stop).
  const ref = JSON.parse(fs.readFileSync(fixture('tiny-llama', 'greedy-transformers.json'), 'utf8'));
  expect(ref.prompts.map((text: string) => tokenizer.encode(text))).toEqual(ref.prompt_ids);
  const opts = { maxNewTokens: ref.max_new_tokens, eosTokenIds: [] };
  for (const [i, text] of ref.prompts.entries()) {
    expect((await generator.generateText(tokenizer, [text], opts)).tokenIds[0]).toEqual(ref.alone[i]);
  }
  expect((await generator.generateText(tokenizer, ref.prompts, opts)).tokenIds).toEqual(ref.batched);
});

test("TokenScorer's teacher-forced log-probabilities equal the generator's along its own greedy continuation", async () => {
  const r = await generator.generate(hostTensor('int64', [1, prompt.length], prompt), ones([1, prompt.length]), { maxNewTokens: 8, eosTokenIds: [] });
  const scorer = await TokenScorer.create(ckpt, { threads: 1 });
  const scored = await scorer.logprobs([...prompt, ...r.tokenIds[0]]);
  await scorer.release();
  expect(scored).toHaveLength(prompt.length + 7);
  scored.slice(prompt.length - 1).forEach((lp, s) => expect(lp).toBeCloseTo(r.logprobs[0][s], 4));
  expect(scored.every((lp) => lp < 0 && Number.isFinite(lp))).toBe(true);
});

test('a left-padded batch generates what each prompt generates alone', async () => {
  const prompts = ['def add(a, b):\n', 'for i in range(10):\n    print'];
  const opts = { maxNewTokens: 6, eosTokenIds: [] };
  const batch = await generator.generateText(tokenizer, prompts, opts);
  for (let i = 0; i < prompts.length; i++) {
    const alone = await generator.generateText(tokenizer, [prompts[i]], opts);
    expect(batch.tokenIds[i]).toEqual(alone.tokenIds[0]);
    expect(batch.texts![i]).toBe(tokenizer.decode(alone.tokenIds[0]));
  }
});

test('a row that finishes leaves the batch; the others generate what they generate alone', async () => {
  const prompts = ['def add(a, b):\n', 'for i in range(10):\n    print', 'x = 1'];
  const greedy = await generator.generateText(tokenizer, [prompts[1]], { maxNewTokens: 8, eosTokenIds: [] });
  const opts = { maxNewTokens: 8, eosTokenIds: [greedy.tokenIds[0][2]] }; // row 1 ends at its third token
  const seen: number[][] = [];
  const batch = await generator.generateText(tokenizer, prompts, { ...opts, onLogits: (_s, logits, rows) => seen.push([...rows, logits.length / V]) });
  expect(batch.finishReasons[1]).toBe('eos');
  expect(batch.tokenIds[1]).toHaveLength(3);
  for (let i = 0; i < prompts.length; i++) {
    const alone = await generator.generateText(tokenizer, [prompts[i]], opts);
    expect(batch.tokenIds[i]).toEqual(alone.tokenIds[0]);
    expect(batch.finishReasons[i]).toBe(alone.finishReasons[0]);
    batch.logprobs[i].forEach((lp, s) => expect(lp).toBeCloseTo(alone.logprobs[0][s], 5));
  }
  // From the fourth step on, only the rows still generating are computed (the last number: logits rows).
  expect(seen[2]).toEqual([0, 1, 2, 3]);
  expect(seen[3].slice(0, 2)).toEqual([0, 2]);
  expect(seen[3].at(-1)).toBe(2);
});

test('sampling repeats with a seed, top-k 1 is greedy, EOS and stop strings end rows', async () => {
  const ids = hostTensor('int64', [1, prompt.length], prompt);
  const mask = ones([1, prompt.length]);
  const sample = (seed: number) => generator.generate(ids, mask, { maxNewTokens: 8, temperature: 1.5, topP: 0.9, seed, eosTokenIds: [] });
  expect((await sample(7)).tokenIds).toEqual((await sample(7)).tokenIds);
  const greedy = await generator.generate(ids, mask, { maxNewTokens: 8, eosTokenIds: [] });
  const topK1 = await generator.generate(ids, mask, { maxNewTokens: 8, temperature: 0.7, topK: 1, eosTokenIds: [] });
  expect(topK1.tokenIds).toEqual(greedy.tokenIds);
  const third = greedy.tokenIds[0][2];
  const eos = await generator.generate(ids, mask, { maxNewTokens: 8, eosTokenIds: [third] });
  expect(eos.tokenIds[0]).toEqual(greedy.tokenIds[0].slice(0, 3));
  expect(eos.finishReasons).toEqual(['eos']);
  const text = tokenizer.decode(greedy.tokenIds[0]);
  const stopAt = text.slice(1, 3);
  const stopped = await generator.generate(ids, mask, { maxNewTokens: 8, eosTokenIds: [], stop: [stopAt], tokenizer });
  expect(stopped.finishReasons).toEqual(['stop']);
  expect(stopped.texts![0]).toBe(text.slice(0, text.indexOf(stopAt)));
});

test('a hook with extra graph inputs is fed constant tensors at every step', async () => {
  // A bias on the head through an extra input: pushing one token's logit up makes it the greedy choice.
  const hook: LinearHook = (module, x, w, b) => {
    const y = defaultLinear(module, x, w, b);
    return module === 'lm_head' ? x.graph.op('Add', [y, x.graph.input('head_bias', 'float32', [V])])[0] : y;
  };
  const bias = new Float32Array(V);
  bias[42] = 1000;
  const g = await Generator.create(ckpt, { linear: hook, feeds: { head_bias: hostTensor('float32', [V], bias) }, threads: 1 });
  const r = await g.generate(hostTensor('int64', [1, prompt.length], prompt), ones([1, prompt.length]), { maxNewTokens: 3, eosTokenIds: [] });
  expect(r.tokenIds[0]).toEqual([42, 42, 42]);
  await g.release();
});

test('tokenizer: round trip, batch padding on either side, truncation', () => {
  const text = 'def add(a, b):\n    return a + b\n';
  expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  const right = tokenizer.encodeBatch(['for i', text], { paddingSide: 'right' });
  const n = right.lengths[1];
  expect(right.inputIds.dims).toEqual([2, n]);
  expect(Array.from(right.attentionMask.data as BigInt64Array, Number).slice(0, n)).toEqual([...new Array(right.lengths[0]).fill(1), ...new Array(n - right.lengths[0]).fill(0)]);
  const left = tokenizer.encodeBatch(['for i', text], { paddingSide: 'left', maxLength: 5 });
  expect(left.inputIds.dims).toEqual([2, 5]);
  expect(Array.from(left.inputIds.data as BigInt64Array, Number).slice(5)).toEqual(tokenizer.encode(text).slice(0, 5));
});

test('chat templates render with the special tokens', () => {
  const t = new TextTokenizer((tokenizer as unknown as { tokenizer: never }).tokenizer, {
    bos_token: '<s>',
    eos_token: '</s>',
    chat_template: "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}",
  });
  expect(t.applyChatTemplate([{ role: 'user', content: 'hi' }])).toBe('<s>[user] hi</s>[assistant] ');
  expect(t.renderChat([{ role: 'user', content: 'hi' }])).toBe('<s>[user] hi</s>[assistant] ');
  expect(tokenizer.renderChat([{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }])).toBe('system: be brief\nuser: hi\nassistant:');
  expect(t.padTokenId).toBe(1);
});

test('onToken sees each picked token in order; streamablePrefix holds back stop-string starts and torn characters', async () => {
  const seen: number[] = [];
  const r = await generator.generate(hostTensor('int64', [1, prompt.length], prompt), ones([1, prompt.length]), { maxNewTokens: 6, eosTokenIds: [], onToken: (row, token) => row === 0 && seen.push(token) });
  expect(seen).toEqual(r.tokenIds[0]);
  expect(streamablePrefix('abc\nde', ['\ndef'])).toBe('abc');
  expect(streamablePrefix('abc\ndef x', ['\ndef'])).toBe('abc');
  expect(streamablePrefix('hello', ['STOP'])).toBe('he');
  expect(streamablePrefix('caf\uFFFD', [])).toBe('caf');
});

afterAll(async () => {
  await generator.release();
  await full.release();
});
