export { BENCHMARK_LABELS, compareModels, defaultBatchSize, KV_CACHE_BUDGET_BYTES, MAX_DEFAULT_BATCH, type CompareOptions, type Comparison, type ProgressBar } from './compare-models.js';
export { modelIdentity } from './model-identity.js';
