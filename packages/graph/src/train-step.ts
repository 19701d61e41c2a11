import type { Value } from './builder.js';
import { checkLoss, gradients, gradName } from './autodiff.js';
import { GraphError } from './graph-error.js';
import type { RecomputeOptions } from './recompute.js';
import type { Params } from './optim.js';
import type { Placement } from './gpu/placement.js';
import type { Int8ProductReport } from './int8-products.js';
import { Runner, type HostTensor, type RunnerOptions, type RunReport } from './runner.js';

/**
 * The float32 scalar input a step built with `lossScale` multiplies its loss by before
 * differentiating (see GradScaler): its gradients come back scaled.
 */
export const LOSS_SCALE = 'loss_scale';

/** A trainable tensor's name and shape, as a graph that takes it as an input declares it. */
export interface ParamShape {
  name: string;
  dims: number[];
}

/** `feeds` with each trainable tensor's current values as its float32 graph input. */
export function withParams(feeds: Record<string, HostTensor>, params: Params, shapes: readonly ParamShape[]): Record<string, HostTensor> {
  const all: Record<string, HostTensor> = { ...feeds };
  for (const { name, dims } of shapes) all[name] = { dtype: 'float32', dims, data: params[name] };
  return all;
}

export interface StepResult {
  loss: number;
  grads: Params;
  /** Other fetched outputs (e.g. logits, metrics). */
  outputs: Record<string, HostTensor>;
  report: RunReport;
}

/**
 * One compiled forward + backward graph. Trainable tensors are graph inputs (float32), so the
 * same session serves every step: feed the current values, get the loss and their gradients.
 */
export class TrainStep {
  private constructor(
    private readonly runner: Runner,
    private readonly lossName: string,
    private readonly params: ParamShape[],
    private readonly extra: string[],
  ) {}

  /**
   * Differentiates `loss` with respect to `params` (graph inputs) and compiles the graph; with
   * `recompute`, segments' activations are recomputed in the backward pass (gradient checkpointing);
   * with `lossScale`, the gradients are those of the loss times the LOSS_SCALE input (float16 training).
   */
  static async create(loss: Value, params: Value[], opts: RunnerOptions & { fetch?: Value[]; recompute?: RecomputeOptions[]; lossScale?: boolean } = {}): Promise<TrainStep> {
    // Refused before the graph gets an input or output for it.
    checkLoss(loss);
    // A 16-bit loss could not hold the scale itself (float16 overflows at 65,504).
    if (opts.lossScale && loss.dtype !== 'float32') throw new GraphError(`loss scaling needs a float32 loss: '${loss.name}' is ${loss.dtype}`);
    const g = loss.graph;
    const seed = opts.lossScale ? g.input(LOSS_SCALE, 'float32', []) : undefined;
    const lossOut = g.outputs.some((o) => o.name === loss.name) ? loss : g.output(loss);
    gradients(lossOut, params, { recompute: opts.recompute, seed });
    const extra = (opts.fetch ?? []).map((v) => (g.outputs.some((o) => o.name === v.name) ? v : g.output(v)).name);
    const runner = await Runner.create(g.toModel(), opts);
    const shapes = params.map((p) => ({ name: p.name, dims: p.shape.map(Number) }));
    return new TrainStep(runner, lossOut.name, shapes, extra);
  }

  /** Which provider runs each node, when the runner learnt it (RunnerOptions.placement, or a GPU provider). */
  get placement(): Placement | undefined {
    return this.runner.placement;
  }

  /** What RunnerOptions.int8Products rewrote, when it was given. */
  get int8(): Int8ProductReport | undefined {
    return this.runner.int8;
  }

  /** The graph's inputs (e.g. whether it takes a dropout seed or a loss scale). */
  get inputNames(): readonly string[] {
    return this.runner.inputNames;
  }

  /** The loss's output, and the other values `fetch` named (e.g. the parts of a combined loss). */
  get lossOutputs(): readonly string[] {
    return [this.lossName, ...this.extra];
  }

  async run(params: Params, feeds: Record<string, HostTensor>): Promise<StepResult> {
    const fetches = [this.lossName, ...this.params.map((p) => gradName(p.name)), ...this.extra];
    const { outputs, report } = await this.runner.run(withParams(feeds, params, this.params), fetches);
    const grads: Params = {};
    for (const p of this.params) grads[p.name] = outputs[gradName(p.name)].data as Float32Array;
    const rest = Object.fromEntries(this.extra.map((n) => [n, outputs[n]]));
    return { loss: Number(outputs[this.lossName].data[0]), grads, outputs: rest, report };
  }

  /**
   * Some of the step's outputs (lossOutputs) for these values, without copying the gradients out:
   * the held-out loss of a run that keeps one session. ONNX Runtime runs every node of the graph
   * whatever is fetched, so this costs a whole step.
   */
  async evaluate(params: Params, feeds: Record<string, HostTensor>, names: readonly string[]): Promise<Record<string, HostTensor>> {
    return (await this.runner.run(withParams(feeds, params, this.params), [...names])).outputs;
  }

  /** See Runner.endProfiling (RunnerOptions.profile). */
  endProfiling(): string {
    return this.runner.endProfiling();
  }

  release(): Promise<void> {
    return this.runner.release();
  }
}
