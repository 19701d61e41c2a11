// A training throughput normalised by this machine's own matrix-product rate (shared/bench/README.md):
// ONNX Runtime's fp32 2048^3 MatMul measured now, in this process, on the same threads, against the
// matrix-product FLOPs the step does per token. Speed does not carry over between machines; this does.
import { measureMatmulGflops } from '@codistill/graph';
import { llamaFlopsPerToken, type FlopsOptions, type LlamaShape } from '@codistill/models';

export interface MatmulNormalised {
  matmul_gflops: number;
  achieved_gflops: number;
  fraction_of_matmul_peak: number;
  /** With a rate measured before the steps too: both rates, and the fraction against each. */
  matmul_gflops_before_after?: [number, number];
  fraction_range?: [number, number];
}

/**
 * `tokensPerS` over the MatMul rate measured now, or over the mean of that and `before`, a rate
 * measured before the steps (bench/train.bench.ts does, at its start): the VM's speed swings by
 * tens of percent within minutes, and one rate measured after the steps put the same build
 * anywhere from 0.72 to 1.04 of it (unprofiled runs, 2026-12-02).
 */
export async function matmulNormalised(tokensPerS: number, shape: LlamaShape, flops: FlopsOptions, threads: number, before?: number): Promise<MatmulNormalised> {
  const after = await measureMatmulGflops(threads);
  const achieved = (tokensPerS * llamaFlopsPerToken(shape, flops)) / 1e9;
  if (before === undefined) return { matmul_gflops: after, achieved_gflops: achieved, fraction_of_matmul_peak: achieved / after };
  const matmul = (before + after) / 2;
  const round = (v: number) => +v.toFixed(3);
  return {
    matmul_gflops: matmul,
    achieved_gflops: achieved,
    fraction_of_matmul_peak: achieved / matmul,
    matmul_gflops_before_after: [before, after],
    fraction_range: [round(achieved / Math.max(before, after)), round(achieved / Math.min(before, after))],
  };
}
