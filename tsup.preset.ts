// The build every published package shares (packages/*/tsup.config.ts): ESM (dist/index.js) and
// CommonJS (dist/index.cjs), each with its own typings (index.d.ts for `import`, index.d.cts for
// `require`), which is what package.json's publishConfig exports.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Options } from 'tsup';

const packagesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'packages');

/**
 * Typings: another workspace package's types come from its built `dist/index.d.ts` (turbo builds
 * dependencies first), which spares re-checking its sources in every dependent's build; its
 * sources are the fallback when it has not been built. The emitted typings import it by name either way.
 */
export const dts = {
  compilerOptions: { paths: { '@codistill/*': [`${packagesDir}/*/dist/index.d.ts`, `${packagesDir}/*/src/index.ts`] } },
} satisfies Options['dts'];

export const library: Options = { entry: ['src/index.ts'], format: ['esm', 'cjs'], dts, clean: true, sourcemap: true, shims: true };
