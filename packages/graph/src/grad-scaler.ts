import type { Params } from './optim.js';
import { hostTensor, type HostTensor } from './runner.js';
import { LOSS_SCALE } from './train-step.js';

/** What a checkpoint keeps of a GradScaler (torch's state_dict names). */
export interface GradScalerState {
  scale: number;
  growth_tracker: number;
}

export interface GradScalerOptions {
  initScale?: number;
  growthFactor?: number;
  backoffFactor?: number;
  growthInterval?: number;
}

/**
 * Dynamic loss scaling as torch.amp.GradScaler does it, with its defaults (which transformers'
 * Trainer uses for fp16): the loss is multiplied by `scale` before the backward pass, so float16
 * gradients keep the small values they would otherwise lose among float16's subnormals; the host
 * divides the scale out again. A step whose gradients overflowed is skipped and the scale halved;
 * after `growthInterval` good steps in a row it doubles. The scale is a float32 (as torch's tensor).
 */
export class GradScaler {
  private scaleValue: number;
  private tracker = 0;
  private readonly growthFactor: number;
  private readonly backoffFactor: number;
  private readonly growthInterval: number;

  constructor(opts: GradScalerOptions = {}) {
    this.scaleValue = Math.fround(opts.initScale ?? 2 ** 16);
    this.growthFactor = opts.growthFactor ?? 2;
    this.backoffFactor = opts.backoffFactor ?? 0.5;
    this.growthInterval = opts.growthInterval ?? 2000;
  }

  /** The factor the next backward pass's loss is multiplied by. */
  get scale(): number {
    return this.scaleValue;
  }

  /** The feed of a step built with `lossScale` (TrainStep's LOSS_SCALE input): the current scale. */
  feeds(): Record<string, HostTensor> {
    return { [LOSS_SCALE]: hostTensor('float32', [], [this.scaleValue]) };
  }

  /**
   * Divides the scale out of `grads` in place (by its float32 reciprocal, as torch); false when any
   * gradient is not finite: the step must then be skipped.
   */
  unscale(grads: Params): boolean {
    const inv = Math.fround(1 / this.scaleValue);
    let finite = true;
    for (const g of Object.values(grads)) {
      for (let i = 0; i < g.length; i++) {
        g[i] *= inv;
        if (!Number.isFinite(g[i])) finite = false;
      }
    }
    return finite;
  }

  /** After a step: back off when its gradients overflowed, grow after growthInterval good steps. */
  update(finite: boolean): void {
    if (!finite) {
      this.scaleValue = Math.fround(this.scaleValue * this.backoffFactor);
      this.tracker = 0;
      return;
    }
    this.tracker++;
    if (this.tracker < this.growthInterval) return;
    const grown = Math.fround(this.scaleValue * this.growthFactor);
    // As torch: a scale that would overflow float32 stays where it is.
    if (Number.isFinite(grown)) this.scaleValue = grown;
    this.tracker = 0;
  }

  state(): GradScalerState {
    return { scale: this.scaleValue, growth_tracker: this.tracker };
  }

  load(state: GradScalerState): void {
    this.scaleValue = Math.fround(state.scale);
    this.tracker = state.growth_tracker;
  }
}
