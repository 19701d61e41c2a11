import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Tiny checkpoints and their PyTorch references, shipped once in @codistill/models' tests. */
export const modelsFixture = (...parts: string[]): string => path.join(here, '..', '..', 'models', 'test', 'fixtures', ...parts);
