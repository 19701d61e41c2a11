export * from './benchmarks.js';
export * from './check.js';
export * from './collect-samples.js';
export * from './evaluate.js';
export * from './evalplus-results.js';
export * from './execute.js';
export * from './extract.js';
export * from './oracle.js';
export * from './pool.js';
export * from './prompts.js';
export * from './results.js';
export * from './sandbox.js';
export * from './tasks.js';
// pass@k is defined once, in @codistill/util (passAtK(n, c, k); meanPassAtK(problems, ks?) for a summary).
export { meanPassAtK, passAtK, type PassCounts } from '@codistill/util';
