import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packages = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The tiny Llama checkpoint shipped once in @codistill/models' tests. */
export const tinyLlama = path.join(packages, 'models', 'test', 'fixtures', 'tiny-llama');
/** A PEFT-saved adapter for it, from @codistill/lora's tests. */
export const tinyAdapter = path.join(packages, 'lora', 'test', 'fixtures', 'peft-adapter');
/** Six tasks of each benchmark, shipped with @codistill/harness. */
export const harnessSample = (file: string): string => path.join(packages, 'harness', 'samples', file);
