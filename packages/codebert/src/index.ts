export { CodeBertEmbedder, type EmbedderOptions } from './embedder.js';
export { computeBridge, loadBridge, type Bridge } from './bridge.js';
export { softCodeEmbedding, chunkedSoftCodeEmbedding, codePositionFeeds, type SoftCodeInputs, type SoftCodeHeadInputs, type ChunkedSoftCode } from './fragment.js';
export { pool, cosine, sequenceCapacity, type Pooling } from './pooling.js';
export { EmbeddingCache } from './cache.js';
