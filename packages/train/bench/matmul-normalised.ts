// A training throughput normalised by this machine's own matrix-product rate (shared/bench/README.md):
// ONNX Runtime's fp32 2048^3 MatMul measured now, in this process, on the same threads, against the
// matrix-product FLOPs the step does per token. Speed does not carry over between machines; this does.
import { measureMatmulGflops } from '@codistill/graph';
import { llamaFlopsPerToken, type FlopsOptions, type LlamaShape } from '@codistill/models';

export interface MatmulNormalised {
  matmul_gflops: number;
  achieved_gflops: number;
  fraction_of_matmul_peak: number;
}

export async function matmulNormalised(tokensPerS: number, shape: LlamaShape, flops: FlopsOptions, threads: number): Promise<MatmulNormalised> {
  const matmul = await measureMatmulGflops(threads);
  const achieved = (tokensPerS * llamaFlopsPerToken(shape, flops)) / 1e9;
  return { matmul_gflops: matmul, achieved_gflops: achieved, fraction_of_matmul_peak: achieved / matmul };
}
