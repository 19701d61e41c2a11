export * from './benchmarks/index.js';
export * from './taco/index.js';
export { readParquetRows } from './parquet-rows.js';
