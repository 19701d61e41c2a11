export * from './ensure-dir.js';
export * from './hub-offline.js';
export * from './jsonl.js';
export * from './lock-file.js';
export * from './read-json.js';
export * from './write-file-durable.js';
