import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A tiny Llama checkpoint (file or folder in it), shipped once in @codistill/models' tests. */
export const tinyLlama = (...parts: string[]): string => path.join(here, '..', '..', 'models', 'test', 'fixtures', 'tiny-llama', ...parts);
