// Greedy decoding speed on the 58 M-parameter Llama shape of shared/bench (torch_lora_anchor.py):
// random weights in a temporary safetensors file, 64 new tokens after a 64-token prompt, 2 threads,
// the whole generate call timed, best of RUNS. When torch and transformers import here,
// bench/anchors/transformers_generate.py (the same shape and work in transformers' generate) runs
// beside it, alternating ROUNDS times, and the ratio is printed against that run only (speed does
// not carry over between machines). Always normalised too by this machine's ONNX Runtime MatMul
// rate, measured in the same process on the same threads (achieved_gflops, fraction_of_matmul_peak).
// Env: THREADS (2), RUNS (3), ROUNDS (2).
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { hostTensor, measureMatmulGflops, mulberry32 } from '@codistill/graph';
import { runPythonAnchor } from '@codistill/util';
import { ANCHOR_SHAPE, Checkpoint, Generator, llamaFlopsPerToken, writeRandomLlama } from '../src/index.js';
const THREADS = Number(process.env.THREADS ?? 2);
const RUNS = Number(process.env.RUNS ?? 3);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const PROMPT = 64;
const NEW = 64;
const SHAPE = ANCHOR_SHAPE;

const dir = writeRandomLlama(fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-bench-')));
const generator = await Generator.create(new Checkpoint(dir), { threads: THREADS });
const random = mulberry32(1);
const prompt = hostTensor('int64', [1, PROMPT], Array.from({ length: PROMPT }, () => Math.floor(random() * SHAPE.vocab_size)));
const mask = hostTensor('int64', [1, PROMPT], new Array(PROMPT).fill(1));
await generator.generate(prompt, mask, { maxNewTokens: 4, eosTokenIds: [] }); // warm-up, as the anchor does

type Timed = { decodeTokensPerS: number; decodeOnlyTokensPerS: number; prefillMs: number };
const fastest = (runs: Timed[]): Timed => runs.reduce((a, b) => (b.decodeTokensPerS > a.decodeTokensPerS ? b : a));

/** Best of RUNS whole generate calls: tokens/s as the anchor times it, and the parts. */
async function ours(): Promise<Timed> {
  const runs: Timed[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await generator.generate(prompt, mask, { maxNewTokens: NEW, eosTokenIds: [] });
    runs.push({ decodeTokensPerS: NEW / ((r.prefillMs + r.decodeMs) / 1000), decodeOnlyTokensPerS: (NEW - 1) / (r.decodeMs / 1000), prefillMs: r.prefillMs });
  }
  return fastest(runs);
}

const ANCHOR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'anchors', 'transformers_generate.py');
/** transformers' tokens/s run now, or undefined when torch and transformers do not import here. */
const anchor = () => runPythonAnchor<{ decode_tokens_per_s: number }>(ANCHOR, ['torch', 'transformers'], { THREADS, RUNS })?.decode_tokens_per_s;

const measured: Timed[] = [];
const rounds: { ours: number; transformers?: number }[] = [];
for (let i = 0; i < ROUNDS; i++) {
  measured.push(await ours());
  rounds.push({ ours: measured[i].decodeTokensPerS, transformers: anchor() });
}
const best = fastest(measured);
const theirs = rounds.every((r) => r.transformers !== undefined) ? Math.max(...rounds.map((r) => r.transformers!)) : undefined;
const decodeTokensPerS = best.decodeTokensPerS;
// Each new token attends over the prompt and what came before it: on average PROMPT + NEW / 2.
const achieved = (decodeTokensPerS * llamaFlopsPerToken(SHAPE, { seq: PROMPT + NEW / 2 })) / 1e9;
const matmul = await measureMatmulGflops(THREADS);
console.log(
  JSON.stringify({
    bench: 'greedy decode, 58M Llama, CPU',
    decode_tokens_per_s: decodeTokensPerS,
    decode_only_tokens_per_s: best.decodeOnlyTokensPerS,
    prefill_ms: best.prefillMs,
    rounds,
    ...(theirs
      ? { transformers_decode_tokens_per_s: theirs, ratio_vs_transformers: decodeTokensPerS / theirs }
      : {}),
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
