// The machine's own matrix-product rate: the yardstick a throughput measured here is normalised
// by when no anchor can run beside it (a ratio against a figure recorded on another machine says
// nothing: these machines differ by 2x between sessions).
import { GraphBuilder } from './builder.js';
import { mulberry32 } from '@codistill/util';
import { matmul } from './ops/matmul.js';
import { hostTensor, Runner } from './runner.js';

/**
 * ONNX Runtime's CPU float32 MatMul rate in GFLOP/s on `threads` intra-op threads: an n x n x n
 * product (2 n^3 FLOPs), best of `runs` after one warm-up.
 */
export async function measureMatmulGflops(threads: number, n = 2048, runs = 5): Promise<number> {
  const g = new GraphBuilder('matmul-rate');
  g.output(matmul(g.input('a', 'float32', [n, n]), g.input('b', 'float32', [n, n])), 'c');
  const runner = await Runner.create(g.toModel(), { threads });
  const rand = mulberry32(0);
  const feeds = { a: hostTensor('float32', [n, n], Float32Array.from({ length: n * n }, rand)), b: hostTensor('float32', [n, n], Float32Array.from({ length: n * n }, rand)) };
  await runner.run(feeds);
  let best = Infinity;
  for (let i = 0; i < runs; i++) best = Math.min(best, (await runner.run(feeds)).report.ms);
  await runner.release();
  return (2 * n ** 3) / (best / 1000) / 1e9;
}
