/** Trainable tensors by name; the optimizer updates them in place. */
export type Params = Record<string, Float32Array>;

export interface Optimizer {
  /** Apply one update from `grads`; `lr` overrides the configured learning rate (schedules). */
  step(params: Params, grads: Params, lr?: number): void;
  /** Updates applied so far: a learning-rate schedule's position (a step skipped on overflow is not one). */
  readonly steps: number;
  /** Serialisable state (for checkpoints). */
  state(): OptimizerState;
  load(state: OptimizerState): void;
}

export interface OptimizerState {
  kind: 'sgd' | 'adamw';
  step: number;
  /** Per-parameter buffers: momentum (sgd) or first/second moments (adamw). */
  buffers: Record<string, Float32Array[]>;
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
}

/** SGD with optional momentum and L2 weight decay (PyTorch semantics). */
export class SGD implements Optimizer {
  private t = 0;
  private velocity: Record<string, Float32Array> = {};
  constructor(private readonly opts: SGDOptions) {}

  get steps(): number {
    return this.t;
  }

  step(params: Params, grads: Params, lr = this.opts.lr): void {
    const { momentum = 0, weightDecay = 0 } = this.opts;
    this.t++;
    for (const [name, p] of Object.entries(params)) {
      const g = grads[name];
      if (!g) throw new Error(`no gradient for parameter '${name}'`);
      const v = momentum ? (this.velocity[name] ??= new Float32Array(p.length)) : undefined;
      for (let i = 0; i < p.length; i++) {
        let d = g[i] + weightDecay * p[i];
        if (v) d = v[i] = momentum * v[i] + d;
        p[i] -= lr * d;
      }
    }
  }

  state(): OptimizerState {
    return { kind: 'sgd', step: this.t, buffers: Object.fromEntries(Object.entries(this.velocity).map(([k, v]) => [k, [v.slice()]])) };
  }

  load(state: OptimizerState): void {
    this.t = state.step;
    this.velocity = Object.fromEntries(Object.entries(state.buffers).map(([k, [v]]) => [k, v.slice()]));
  }
}

export interface AdamWOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/** AdamW (Loshchilov & Hutter) with PyTorch's defaults and bias correction. */
export class AdamW implements Optimizer {
  private t = 0;
  private moments: Record<string, [Float32Array, Float32Array]> = {};
  constructor(private readonly opts: AdamWOptions) {}

  get steps(): number {
    return this.t;
  }

  step(params: Params, grads: Params, lr = this.opts.lr): void {
    const [b1, b2] = this.opts.betas ?? [0.9, 0.999];
    const eps = this.opts.eps ?? 1e-8;
    const wd = this.opts.weightDecay ?? 0.01;
    this.t++;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (const [name, p] of Object.entries(params)) {
      const g = grads[name];
      if (!g) throw new Error(`no gradient for parameter '${name}'`);
      const [m, v] = (this.moments[name] ??= [new Float32Array(p.length), new Float32Array(p.length)]);
      for (let i = 0; i < p.length; i++) {
        p[i] -= lr * wd * p[i];
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        p[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
      }
    }
  }

  state(): OptimizerState {
    const buffers = Object.fromEntries(Object.entries(this.moments).map(([k, [m, v]]) => [k, [m.slice(), v.slice()]]));
    return { kind: 'adamw', step: this.t, buffers };
  }

  load(state: OptimizerState): void {
    this.t = state.step;
    this.moments = Object.fromEntries(Object.entries(state.buffers).map(([k, [m, v]]) => [k, [m.slice(), v.slice()]]));
  }
}

/** Global L2 norm of a set of gradients. */
export function globalNorm(grads: Params): number {
  let s = 0;
  for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return Math.sqrt(s);
}

/** Scale gradients in place so their global norm is at most maxNorm; returns the norm before. */
export function clipGlobalNorm(grads: Params, maxNorm: number): number {
  const norm = globalNorm(grads);
  if (norm > maxNorm) {
    const k = maxNorm / (norm + 1e-6);
    for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) g[i] *= k;
  }
  return norm;
}
