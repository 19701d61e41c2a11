// Greedy decoding speed on the 58 M-parameter Llama shape of shared/bench (torch_lora_anchor.py):
// random weights in a temporary safetensors file, 64 new tokens after a 64-token prompt, 2 threads.
// No ratio against transformers' figures recorded elsewhere (speed does not carry over between
// machines): the throughput is normalised by this machine's ONNX Runtime MatMul rate, measured in
// the same process on the same threads (achieved_gflops, fraction_of_matmul_peak).
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { hostTensor, measureMatmulGflops, mulberry32 } from '@codistill/graph';
import { ANCHOR_SHAPE, Checkpoint, Generator, llamaFlopsPerToken, writeRandomLlama } from '../src/index.js';
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
// Each new token attends over the prompt and what came before it: on average PROMPT + NEW / 2.
const achieved = (decodeTokensPerS * llamaFlopsPerToken(SHAPE, { seq: PROMPT + NEW / 2 })) / 1e9;
const matmul = await measureMatmulGflops(THREADS);
console.log(
  JSON.stringify({
    bench: 'greedy decode, 58M Llama, CPU',
    decode_tokens_per_s: decodeTokensPerS,
    decode_only_tokens_per_s: (NEW - 1) / (r.decodeMs / 1000),
    prefill_tokens_per_s: PROMPT / (r.prefillMs / 1000),
    prefill_ms: r.prefillMs,
    achieved_gflops: achieved,
    matmul_gflops: matmul,
    fraction_of_matmul_peak: achieved / matmul,
    cpu: os.cpus()[0]?.model,
    load: os.loadavg()[0],
    threads: THREADS,
    prompt_tokens: PROMPT,
    new_tokens: NEW,
    ...SHAPE,
  }),
);
await generator.release();
fs.rmSync(dir, { recursive: true, force: true });
