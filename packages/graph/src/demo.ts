import { mulberry32 } from '@codistill/util';
import { GraphBuilder, type Value } from './builder.js';
import { add } from './ops/add.js';
import { matmul } from './ops/matmul.js';
import { mul } from './ops/mul.js';
import { reduceMean } from './ops/reduce-mean.js';
import { sub } from './ops/sub.js';
import { tanh } from './ops/tanh.js';
import { AdamW, SGD, type Params } from './optim.js';
import { gaussian } from './random.js';
import { hostTensor } from './runner.js';
import { TrainStep } from './train-step.js';

export interface MlpDemoOptions {
  steps?: number;
  hidden?: number;
  samples?: number;
  optimizer?: 'adamw' | 'sgd';
  lr?: number;
  seed?: number;
  threads?: number;
  onStep?: (step: number, loss: number, ms: number) => void;
}

/**
 * The engine's demo: a 2-layer tanh MLP fitting y = sin(3 x0) * x1 on random points, trained
 * through the autodiff graph on ONNX Runtime. Returns the loss after each step.
 */
export async function trainMlpDemo(opts: MlpDemoOptions = {}): Promise<number[]> {
  const { steps = 100, hidden = 32, samples = 256, optimizer = 'adamw', seed = 0 } = opts;
  const rand = mulberry32(seed);
  const normal = gaussian(rand);
  const g = new GraphBuilder('mlp-demo');
  const x = g.input('x', 'float32', ['n', 2]);
  const y = g.input('y', 'float32', ['n', 1]);
  const shapes: Record<string, number[]> = { w1: [2, hidden], b1: [hidden], w2: [hidden, 1], b2: [1] };
  const p: Record<string, Value> = {};
  const params: Params = {};
  for (const [name, dims] of Object.entries(shapes)) {
    p[name] = g.input(name, 'float32', dims);
    const fanIn = dims.length > 1 ? dims[0] : 1;
    params[name] = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () =>
      dims.length > 1 ? normal() / Math.sqrt(fanIn) : 0,
    );
  }
  const h = tanh(add(matmul(x, p.w1), p.b1));
  const pred = add(matmul(h, p.w2), p.b2);
  const err = sub(pred, y);
  const loss = reduceMean(mul(err, err), undefined, false);
  const step = await TrainStep.create(loss, Object.values(p), { threads: opts.threads });

  const xs = Float32Array.from({ length: samples * 2 }, () => rand() * 2 - 1);
  const ys = Float32Array.from({ length: samples }, (_, i) => Math.sin(3 * xs[2 * i]) * xs[2 * i + 1]);
  const feeds = { x: hostTensor('float32', [samples, 2], xs), y: hostTensor('float32', [samples, 1], ys) };
  const opt = optimizer === 'sgd' ? new SGD({ lr: opts.lr ?? 0.1, momentum: 0.9 }) : new AdamW({ lr: opts.lr ?? 0.01, weightDecay: 0 });
  const losses: number[] = [];
  try {
    for (let i = 0; i < steps; i++) {
      const r = await step.run(params, feeds);
      opt.step(params, r.grads);
      losses.push(r.loss);
      opts.onStep?.(i + 1, r.loss, r.report.ms);
    }
  } finally {
    await step.release();
  }
  return losses;
}
