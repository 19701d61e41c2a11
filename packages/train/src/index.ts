export { train, type TrainEvents, type TrainResult } from './trainer.js';
export { buildTrainGraph, type TrainGraph } from './train-graph.js';
export { LOG_FILE, type StepLog } from './step-log.js';
export { TrainOptions, deviceConflict, parseTrainOptions, renamedSetting, trainFlagName, type TrainOptionsInput } from './options.js';
export { readTrainingFile, readTrainingRecords, tokenize, SPANS, type TrainingRecord, type TokenizedExample, type SpanName } from './data.js';
export { epochBatches } from './batching.js';
export { learningRate, type SchedulerType } from './lr-schedule.js';
export { collate, type CollateOptions } from './collate.js';
export { saveCheckpoint, loadCheckpoint, loadNewestCheckpoint, listCheckpoints, type TrainerState, type Snapshot } from './checkpoint.js';
