export { BENCHMARK_LABELS, compareModels, defaultBatchSize, type CompareOptions, type Comparison, type ProgressBar } from './compare-models.js';
export { modelIdentity } from './model-identity.js';
