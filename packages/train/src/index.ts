export { buildTrainGraph, train, LOG_FILE, type StepLog, type TrainEvents, type TrainGraph, type TrainResult } from './trainer.js';
export { TrainOptions, parseTrainOptions, type TrainOptionsInput } from './options.js';
export { readTrainingFile, readTrainingRecords, tokenize, SPANS, type TrainingRecord, type TokenizedExample, type SpanName } from './data.js';
export { epochBatches } from './batching.js';
export { learningRate, type Decay } from './lr-schedule.js';
export { collate, type CollateOptions } from './collate.js';
export { saveCheckpoint, loadCheckpoint, loadNewestCheckpoint, listCheckpoints, type TrainerState, type Snapshot } from './checkpoint.js';
