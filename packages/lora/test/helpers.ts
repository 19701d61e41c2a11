import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAdapter, saveAdapter, type Adapter } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** This package's own fixtures (the PEFT-saved adapter). */
export const fixture = (...parts: string[]): string => path.join(here, 'fixtures', ...parts);

/** The tiny Llama checkpoint and its PyTorch/PEFT reference, shipped once in @codistill/models' tests. */
export const tinyLlama = (...parts: string[]): string => path.join(here, '..', '..', 'models', 'test', 'fixtures', 'tiny-llama', ...parts);

export { maxRelativeError as relativeError } from '@codistill/graph';

/**
 * The PEFT fixture reshaped as if saved for other models, as PEFT saves for them: `narrow`, for a
 * Llama of hidden size 32 (every lora_A [r, 32]); `deeper`, for one with a third layer.
 */
export function foreignAdapters(root: string): { narrow: string; deeper: string } {
  const peft = loadAdapter(fixture('peft-adapter'));
  const narrow: Adapter = { config: peft.config, weights: {}, shapes: {} };
  const deeper: Adapter = { config: peft.config, weights: { ...peft.weights }, shapes: { ...peft.shapes } };
  for (const [name, data] of Object.entries(peft.weights)) {
    const [rows, cols] = peft.shapes[name];
    const keep = name.endsWith('lora_A.weight') ? 32 : cols;
    narrow.weights[name] = Float32Array.from({ length: rows * keep }, (_, i) => data[Math.floor(i / keep) * cols + (i % keep)]);
    narrow.shapes[name] = [rows, keep];
    if (name.includes('.layers.1.')) {
      deeper.weights[name.replace('.layers.1.', '.layers.2.')] = data;
      deeper.shapes[name.replace('.layers.1.', '.layers.2.')] = peft.shapes[name];
    }
  }
  const dirs = { narrow: path.join(root, 'narrow'), deeper: path.join(root, 'deeper') };
  saveAdapter(dirs.narrow, narrow);
  saveAdapter(dirs.deeper, deeper);
  return dirs;
}
