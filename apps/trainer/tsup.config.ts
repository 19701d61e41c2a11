import { defineConfig } from 'tsup';

// The CLI bundles the workspace packages (they resolve to source in the workspace) and keeps
// third-party dependencies external. Bundled code that calls require() (Node built-ins) gets a
// real one from createRequire: an ESM bundle has none.
export default defineConfig({
  entry: ['src/cli.ts'],
  format: ['esm'],
  clean: true,
  sourcemap: true,
  noExternal: [/^@codistill\//],
  // Everything else stays an import (native addons like onnxruntime-node cannot be bundled).
  external: [/^(?!@codistill\/)[^./]/],
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __cjsRequire } from 'node:module';\nconst require = __cjsRequire(import.meta.url);" },
});
