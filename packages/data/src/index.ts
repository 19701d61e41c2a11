export * from './benchmarks/index.js';
export * from './taco/index.js';
