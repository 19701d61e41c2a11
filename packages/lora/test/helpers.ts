import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** This package's own fixtures (the PEFT-saved adapter). */
export const fixture = (...parts: string[]): string => path.join(here, 'fixtures', ...parts);

/** The tiny Llama checkpoint and its PyTorch/PEFT reference, shipped once in @codistill/models' tests. */
export const tinyLlama = (...parts: string[]): string => path.join(here, '..', '..', 'models', 'test', 'fixtures', 'tiny-llama', ...parts);

/** max |a - b| / max |b|. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    err = Math.max(err, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return err / scale;
}
