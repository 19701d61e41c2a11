// Greedy decoding speed on the 58 M-parameter Llama shape of shared/bench (torch_lora_anchor.py):
// random weights in a temporary safetensors file, 64 new tokens after a 64-token prompt, 2 threads.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostTensor, mulberry32 } from '@codistill/graph';
import { ANCHOR_SHAPE, Checkpoint, Generator, writeRandomLlama } from '../src/index.js';

// transformers generate on the same shape, 2 threads, this kind of machine (shared/bench/README.md).
const ANCHOR_DECODE_TOKENS_PER_S = 56;
const THREADS = Number(process.env.THREADS ?? 2);
const PROMPT = 64;
const NEW = 64;
const SHAPE = ANCHOR_SHAPE;

const dir = writeRandomLlama(fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-bench-')));
const generator = await Generator.create(new Checkpoint(dir), { threads: THREADS });
const random = mulberry32(1);
const prompt = hostTensor('int64', [1, PROMPT], Array.from({ length: PROMPT }, () => Math.floor(random() * SHAPE.vocab_size)));
const mask = hostTensor('int64', [1, PROMPT], new Array(PROMPT).fill(1));
await generator.generate(prompt, mask, { maxNewTokens: 4, eosTokenIds: [] }); // warm-up, as the anchor does
const r = await generator.generate(prompt, mask, { maxNewTokens: NEW, eosTokenIds: [] });
const totalS = (r.prefillMs + r.decodeMs) / 1000;
const decodeTokensPerS = NEW / totalS; // the anchor times the whole generate call
console.log(
  JSON.stringify({
    bench: 'greedy decode, 58M Llama, CPU',
    decode_tokens_per_s: decodeTokensPerS,
    decode_only_tokens_per_s: (NEW - 1) / (r.decodeMs / 1000),
    prefill_tokens_per_s: PROMPT / (r.prefillMs / 1000),
    prefill_ms: r.prefillMs,
    anchor_decode_tokens_per_s: ANCHOR_DECODE_TOKENS_PER_S,
    ratio_vs_anchor: decodeTokensPerS / ANCHOR_DECODE_TOKENS_PER_S,
    threads: THREADS,
    prompt_tokens: PROMPT,
    new_tokens: NEW,
    ...SHAPE,
  }),
);
await generator.release();
fs.rmSync(dir, { recursive: true, force: true });
