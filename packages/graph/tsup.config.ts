import fs from 'node:fs';
import { defineConfig } from 'tsup';
import { library } from '../../tsup.preset.js';

// src/gpu/cuda-kernels.ts reads its kernel table with require('./cuda-kernels.json') at run time:
// the bundle (dist/index.js, dist/index.cjs) needs the file beside it.
export default defineConfig({
  ...library,
  onSuccess: async () => fs.copyFileSync('src/gpu/cuda-kernels.json', 'dist/cuda-kernels.json'),
});
