export * from './types.js';
export * from './parse.js';
export * from './load.js';
export * from './hub.js';
// The seeded PRNG lives in @codistill/util; re-exported so `import { mulberry32 } from '@codistill/data'` keeps working.
export { mulberry32 } from '@codistill/util';
export * from './tokens.js';
export * from './tests-text.js';
export * from './select.js';
export * from './assemble.js';
export * from './stats.js';
export * from './rejections.js';
export * from './pipeline.js';
