import fs from 'node:fs';
import path from 'node:path';
import { halfToFloat32, isHalf, type Params } from '@codistill/graph';
import type { HostTensor } from '@codistill/graph';
import { readJsonFile, writeJsonDurable } from '@codistill/util';
import { loadSafetensors, resolveRepo, writeSafetensors, type ResolveOptions } from '@codistill/models';
import { parseLoraConfig, type LoraConfig } from './config.js';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

/** adapter_config.json as PEFT writes it (its full key set, so every PEFT version reads it). */
export function peftAdapterConfig(c: LoraConfig): Record<string, unknown> {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: c.base_model_name_or_path,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: c.init_lora_weights,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: c.layers_to_transform,
    loftq_config: {},
    lora_alpha: c.lora_alpha,
    lora_bias: false,
    lora_dropout: c.lora_dropout,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    peft_type: 'LORA',
    r: c.r,
    rank_pattern: {},
    revision: null,
    target_modules: c.target_modules,
    task_type: c.task_type,
    use_dora: false,
    use_rslora: c.use_rslora,
  };
}

export interface Adapter {
  config: LoraConfig;
  /** float32 weights by PEFT tensor name (`base_model.model.<module>.lora_A.weight`). */
  weights: Params;
  shapes: Record<string, number[]>;
  /** The folder loadAdapter read it from (errors name its files). */
  dir?: string;
}

/** Write `adapter_model.safetensors` + `adapter_config.json`; each file appears whole or not at all (durable writes). */
export function saveAdapter(dir: string, adapter: Adapter): void {
  const tensors: Record<string, HostTensor> = {};
  for (const [name, data] of Object.entries(adapter.weights)) {
    tensors[name] = { dtype: 'float32', dims: adapter.shapes[name], data };
  }
  writeSafetensors(path.join(dir, ADAPTER_WEIGHTS), tensors, { format: 'pt' });
  writeJsonDurable(path.join(dir, ADAPTER_CONFIG), peftAdapterConfig(adapter.config));
}

/** A setting present with a value: not absent, null or empty. */
const given = (v: unknown): boolean => v != null && !((typeof v === 'string' || Array.isArray(v)) && v.length === 0);

/** Settings in a PEFT config this implementation would silently get wrong: refuse them. */
function checkSupported(raw: Record<string, unknown>, file: string): void {
  const unsupported: [string, boolean][] = [
    ['peft_type', raw.peft_type !== undefined && raw.peft_type !== 'LORA'],
    ['use_dora', raw.use_dora === true],
    ['bias', raw.bias !== undefined && raw.bias !== 'none'],
    ['fan_in_fan_out', raw.fan_in_fan_out === true],
    ['rank_pattern', !!raw.rank_pattern && Object.keys(raw.rank_pattern as object).length > 0],
    ['alpha_pattern', !!raw.alpha_pattern && Object.keys(raw.alpha_pattern as object).length > 0],
    ['modules_to_save', Array.isArray(raw.modules_to_save) && raw.modules_to_save.length > 0],
    // These change which modules PEFT adapts; the matching here (config.ts's targets) has none of them.
    ['exclude_modules', given(raw.exclude_modules)],
    ['layers_pattern', given(raw.layers_pattern)],
    ['target_parameters', given(raw.target_parameters)],
  ];
  const bad = unsupported.filter(([, b]) => b).map(([k]) => `${k}=${JSON.stringify(raw[k])}`);
  if (bad.length) throw new Error(`${file}: unsupported PEFT setting(s) ${bad.join(', ')}`);
}

/**
 * A local adapter folder: a directory as given, else the Hub id's snapshot in the Hugging Face
 * cache (downloading adapter_config.json and the safetensors weights when missing and not offline),
 * as PEFT's `from_pretrained` takes either.
 */
export function resolveAdapter(adapterOrDir: string, opts: ResolveOptions = {}): Promise<string> {
  return resolveRepo(adapterOrDir, { kind: 'PEFT adapter', required: [ADAPTER_CONFIG, ADAPTER_WEIGHTS], optional: [] }, opts);
}

/** Load an adapter saved by PEFT (or codistill): float32 weights under the saved names. */
export function loadAdapter(dir: string): Adapter {
  const configFile = path.join(dir, ADAPTER_CONFIG);
  if (!fs.existsSync(configFile)) throw new Error(`${dir}: no ${ADAPTER_CONFIG} (is this a PEFT adapter folder?)`);
  const raw = readJsonFile<Record<string, unknown>>(configFile);
  checkSupported(raw, configFile);
  const known = Object.keys(parseLoraConfig({}));
  const config = parseLoraConfig(Object.fromEntries(Object.entries(raw).filter(([k]) => known.includes(k))), configFile);
  const weightsFile = path.join(dir, ADAPTER_WEIGHTS);
  if (!fs.existsSync(weightsFile)) throw new Error(`${dir}: no ${ADAPTER_WEIGHTS} (adapter_model.bin is not supported)`);
  const weights: Params = {};
  const shapes: Record<string, number[]> = {};
  for (const [stored, t] of Object.entries(loadSafetensors(weightsFile))) {
    const name = stored.replace('.default.weight', '.weight'); // in-memory PEFT names carry the adapter name
    weights[name] =
      t.dtype === 'float32'
        ? (t.data as Float32Array)
        : isHalf(t.dtype)
          ? halfToFloat32(t.dtype, t.data as Uint16Array)
          : Float32Array.from(t.data as Float64Array);
    shapes[name] = t.dims;
    checkRank(name, t.dims, config.r, weightsFile);
  }
  return { config, weights, shapes, dir };
}

/** lora_A is [r, in] and lora_B [out, r]: a rank that disagrees with the config is named here, not by ONNX Runtime later. */
function checkRank(name: string, dims: number[], r: number, file: string): void {
  const axis = name.endsWith('lora_A.weight') ? 0 : name.endsWith('lora_B.weight') ? 1 : -1;
  if (axis < 0) return;
  if (dims.length !== 2 || dims[axis] !== r) {
    throw new Error(`${file}: ${name} has shape [${dims.join(', ')}], but ${ADAPTER_CONFIG} says r = ${r} (expected ${axis === 0 ? `[${r}, in]` : `[out, ${r}]`})`);
  }
}

/** The adapter's tensors as feeds for a graph built with loraHook (its inputs carry the same names). */
export function adapterFeeds(adapter: Adapter): Record<string, HostTensor> {
  return Object.fromEntries(
    Object.entries(adapter.weights).map(([name, data]) => [name, { dtype: 'float32' as const, dims: adapter.shapes[name], data }]),
  );
}
