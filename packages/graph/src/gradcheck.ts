import { mulberry32 } from '@codistill/util';
import { GraphBuilder, type Value } from './builder.js';
import { gradients, gradName } from './autodiff.js';
import { isFloat, type DType } from './dtype.js';
import type { Dim } from './ir.js';
import { mul } from './ops/mul.js';
import { reduceSum } from './ops/reduce-sum.js';
import { hostTensor, Runner, type HostTensor } from './runner.js';

export interface GradCheckInput {
  shape: number[];
  /** Shape declared in the graph, with symbols, to exercise the runtime-shape paths of the rules. */
  declared?: Dim[];
  /** float64 by default; integer inputs (indices) get no gradient. */
  dtype?: DType;
  /** Fixed values (e.g. indices); random in [-1, 1) otherwise. */
  values?: number[];
  /** Transform random values, e.g. to keep Log/Sqrt inputs positive. */
  map?: (v: number) => number;
  /** Differentiate with respect to this input (default: every float input). */
  grad?: boolean;
}

export interface GradCheckOptions {
  inputs: GradCheckInput[];
  /** Builds the function under test from the inputs; its output can have any shape. */
  build: (...inputs: Value[]) => Value;
  eps?: number;
  rtol?: number;
  atol?: number;
  seed?: number;
}

export interface GradCheckResult {
  /** Largest |analytic - numeric| / (atol + rtol |numeric|); <= 1 passes. */
  worst: number;
  checked: number;
  failures: string[];
}

/**
 * Compares the autodiff gradients of sum(f(inputs) * r), r random, with central finite
 * differences, element by element. Runs in float64 by default so the comparison is tight.
 */
export async function checkGradients(opts: GradCheckOptions): Promise<GradCheckResult> {
  const { eps = 1e-6, rtol = 1e-5, atol = 1e-8, seed = 0 } = opts;
  const rand = mulberry32(seed);
  const g = new GraphBuilder('gradcheck');
  const feeds: Record<string, HostTensor> = {};
  const values = opts.inputs.map((spec, i) => {
    const dtype = spec.dtype ?? 'float64';
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const data = spec.values ?? Array.from({ length: size }, () => (spec.map ?? ((v) => v))(rand() * 2 - 1));
    feeds[`x${i}`] = hostTensor(dtype, spec.shape, data);
    return g.input(`x${i}`, dtype, spec.declared ?? spec.shape);
  });
  const y = g.output(opts.build(...values), 'y');
  // A forward-only run tells the output's concrete shape, which symbolic inputs leave open.
  const probe = await Runner.create(g.toModel(), { optimization: 'disabled', threads: 1 });
  const yDims = (await probe.run(feeds)).outputs.y.dims;
  await probe.release();
  const size = yDims.reduce((a, b) => a * b, 1);
  feeds.r = hostTensor(y.dtype, yDims, Array.from({ length: size }, () => rand() * 2 - 1));
  const weights = g.input('r', y.dtype, y.shape);
  const loss = g.output(reduceSum(mul(y, weights), undefined, false), 'loss');
  const wrt = values.filter((v, i) => isFloat(v.dtype) && opts.inputs[i].grad !== false);
  gradients(loss, wrt);
  // Optimisation off: the check is of the ops as emitted (and ORT's QuickGelu fusion has no float64 kernel).
  const runner = await Runner.create(g.toModel(), { optimization: 'disabled', threads: 1 });
  try {
    const { outputs } = await runner.run(feeds);
    const lossAt = async () => Number((await runner.run(feeds, ['loss'])).outputs.loss.data[0]);
    const result: GradCheckResult = { worst: 0, checked: 0, failures: [] };
    for (const w of wrt) {
      const analytic = outputs[gradName(w.name)].data as Float64Array;
      const x = feeds[w.name].data as Float64Array;
      for (let i = 0; i < x.length; i++) {
        const keep = x[i];
        x[i] = keep + eps;
        const up = await lossAt();
        x[i] = keep - eps;
        const down = await lossAt();
        x[i] = keep;
        const numeric = (up - down) / (2 * eps);
        const err = Math.abs(analytic[i] - numeric) / (atol + rtol * Math.abs(numeric));
        result.worst = Math.max(result.worst, err);
        result.checked++;
        if (!(err <= 1)) result.failures.push(`${w.name}[${i}]: analytic ${analytic[i]} vs numeric ${numeric}`);
      }
    }
    return result;
  } finally {
    await runner.release();
  }
}
