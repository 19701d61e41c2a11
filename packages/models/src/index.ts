export * from './safetensors.js';
export * from './config.js';
export { Checkpoint } from './checkpoint.js';
export { defaultLinear, type LinearHook } from './linear.js';
export { buildCausalLm, type CausalLmGraph, type CausalLmOptions } from './llama.js';
export { buildEncoder, encodeEmbeddings, wordEmbeddings, type EncoderGraph, type EncoderOptions } from './roberta.js';
export { ModelSession, type SessionOptions } from './session.js';
