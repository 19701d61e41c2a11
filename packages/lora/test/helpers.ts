import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** This package's own fixtures (the PEFT-saved adapter). */
export const fixture = (...parts: string[]): string => path.join(here, 'fixtures', ...parts);

/** The tiny Llama checkpoint and its PyTorch/PEFT reference, shipped once in @codistill/models' tests. */
export const tinyLlama = (...parts: string[]): string => path.join(here, '..', '..', 'models', 'test', 'fixtures', 'tiny-llama', ...parts);

export { maxRelativeError as relativeError } from '@codistill/graph';
