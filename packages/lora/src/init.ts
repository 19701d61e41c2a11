import { gaussian, mulberry32, type Params } from '@codistill/graph';
import type { LoraConfig } from './config.js';
import type { LoraModule } from './layer.js';

/**
 * PEFT's initialisations. Kaiming-uniform with a = sqrt(5) (nn.Linear's default, which PEFT uses
 * for A) is U(-1/sqrt(in), 1/sqrt(in)); B starts at zero so the adapted model equals the base.
 */
export function initLoraWeights(config: LoraConfig, modules: LoraModule[], seed = 0): Params {
  const rand = mulberry32(seed);
  const normal = gaussian(rand);
  const uniform = (n: number, bound: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * bound);
  const params: Params = {};
  for (const m of modules) {
    const nA = config.r * m.inFeatures;
    const nB = m.outFeatures * config.r;
    if (config.init_lora_weights === 'gaussian') {
      params[m.A.name] = Float32Array.from({ length: nA }, () => normal() / config.r);
    } else {
      params[m.A.name] = uniform(nA, 1 / Math.sqrt(m.inFeatures));
    }
    params[m.B.name] = config.init_lora_weights === false ? uniform(nB, 1 / Math.sqrt(config.r)) : new Float32Array(nB);
  }
  return params;
}
