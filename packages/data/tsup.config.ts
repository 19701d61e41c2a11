import { defineConfig } from 'tsup';
import { dts, library } from '../../tsup.preset.js';

// hyparquet ships ES modules only, which `require` loads on Node 20.19+/22.12+ only: the CommonJS
// build bundles it so that `require('@codistill/data')` works on every Node the package supports;
// the ESM build keeps it external. The three builds run concurrently, so none cleans another's files.
export default defineConfig([
  { ...library, format: ['esm'], dts: false, clean: ['!**/*.cjs', '!**/*.cjs.map', '!**/*.d.{ts,cts}'] },
  {
    ...library,
    format: ['cjs'],
    dts: false,
    clean: false,
    noExternal: ['hyparquet'],
    banner: { js: '/*! Bundles hyparquet (https://github.com/hyparam/hyparquet), MIT License. */' },
  },
  { ...library, dts: { ...dts, only: true }, clean: false },
]);
