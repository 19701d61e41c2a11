export { LoraConfig, parseLoraConfig, scaling, targets, loraNames, type LoraConfigInput } from './config.js';
export { loraShapes, checkAdapterFits, type SettingName } from './fit.js';
export { loraHook, type LoraModule, type LoraHookOptions } from './layer.js';
export { initLoraWeights } from './init.js';
export { saveAdapter, loadAdapter, resolveAdapter, adapterFeeds, peftAdapterConfig, ADAPTER_CONFIG, ADAPTER_WEIGHTS, type Adapter } from './peft-io.js';
export { mergeAdapter, unmergeAdapter } from './merge.js';
export { loadModelWithAdapter, loadGeneratorWithAdapter, type LoadWithAdapterOptions } from './load-with-adapter.js';
