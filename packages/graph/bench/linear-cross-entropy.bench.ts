// Peak memory of the token loss's forward + backward: maskedCrossEntropy on full logits against
// linearCrossEntropy in row chunks. Each path runs in its own process (peak RSS is per process);
// prints one JSON line. Usage: tsx bench/linear-cross-entropy.bench.ts [N H V chunkRows]
//   env THREADS (default 2), MEMORY_ARENA=0 to turn ONNX Runtime's CPU memory arena off.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GraphBuilder, gradients, gradName, hostTensor, linear, linearCrossEntropy, maskedCrossEntropy, mulberry32, Runner } from '../src/index.js';

const [N, H, V, CHUNK] = (process.argv.slice(3).length ? process.argv.slice(3) : ['2048', '1024', '32000', '512']).map(Number);
const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

async function measure(path: 'plain' | 'fused') {
  const g = new GraphBuilder(path);
  const h = g.input('h', 'float32', [N, H]);
  const w = g.input('w', 'float32', [V, H]);
  const [labels, weights] = [g.input('labels', 'int64', [N]), g.input('weights', 'float32', [N])];
  const ce = path === 'plain' ? maskedCrossEntropy(linear(h, w), labels, weights) : linearCrossEntropy(h, w, labels, weights, { chunkRows: CHUNK });
  gradients(g.output(ce.loss, 'loss'), [h]);
  const rand = mulberry32(0);
  const feeds = {
    h: hostTensor('float32', [N, H], Float32Array.from({ length: N * H }, () => rand() - 0.5)),
    w: hostTensor('float32', [V, H], Float32Array.from({ length: V * H }, () => (rand() - 0.5) * 0.1)),
    labels: hostTensor('int64', [N], Array.from({ length: N }, () => Math.floor(rand() * V))),
    weights: hostTensor('float32', [N], Array.from({ length: N }, (_, i) => (i % 4 === 0 ? 0 : 1))),
  };
  const runner = await Runner.create(g.toModel(), { threads: Number(process.env.THREADS ?? 2), memoryArena: process.env.MEMORY_ARENA !== '0' });
  const beforeMiB = mib(process.resourceUsage().maxRSS * 1024);
  let last;
  for (let i = 0; i < 2; i++) last = await runner.run(feeds, ['loss', gradName('h')]);
  await runner.release();
  const { outputs, report } = last!;
  return { path, before_run_peak_rss_mib: beforeMiB, peak_rss_mib: Math.round(report.peakRssMiB), step_ms: Math.round(report.ms), loss: Number(outputs.loss.data[0]) };
}

const child = process.argv[2];
if (child === 'plain' || child === 'fused') {
  console.log(JSON.stringify(await measure(child)));
} else {
  const self = fileURLToPath(import.meta.url);
  const run = (p: string) => JSON.parse(execFileSync(process.execPath, [...process.execArgv, self, p, String(N), String(H), String(V), String(CHUNK)], { encoding: 'utf8' }));
  const [plain, fused] = [run('plain'), run('fused')];
  const logitsMiB = mib(N * V * 4);
  console.log(JSON.stringify({ bench: 'linear_cross_entropy_memory', N, H, V, chunkRows: CHUNK, threads: Number(process.env.THREADS ?? 2), arena: process.env.MEMORY_ARENA !== '0', logits_mib: logitsMiB, plain, fused, saved_mib: plain.peak_rss_mib - fused.peak_rss_mib }));
}
