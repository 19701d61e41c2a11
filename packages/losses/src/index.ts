export { lossWeightsAt, ScheduleConfig, type LossWeights } from './schedule.js';
export { tokenLoss, chunkedTokenLoss, scoredRows, shiftLabels, type ChunkedTokenLossOptions, type ShiftedLabels } from './token-loss.js';
export { cosineSimilarity, structuralLoss, combinedLoss } from './structural-loss.js';
