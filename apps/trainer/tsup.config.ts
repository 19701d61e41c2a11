import { defineConfig } from 'tsup';

// The CLI bundles the workspace packages (they resolve to source in the workspace) and keeps
// third-party dependencies external.
export default defineConfig({
  entry: ['src/cli.ts'],
  format: ['esm'],
  clean: true,
  sourcemap: true,
  noExternal: [/^@codistill\//],
  banner: { js: '#!/usr/bin/env node' },
});
