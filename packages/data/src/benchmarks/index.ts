export * from './python-json.js';
export * from './source.js';
export * from './humaneval.js';
export * from './mbpp.js';
export * from './evalplus.js';
