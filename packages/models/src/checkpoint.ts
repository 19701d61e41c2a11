import fs from 'node:fs';
import path from 'node:path';
import { ops, type DType, type GraphBuilder, type Value } from '@codistill/graph';
import { readSafetensorsHeader, type TensorEntry } from './safetensors.js';

type Json = Record<string, unknown>;

function readJson(file: string): Json {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

/**
 * The safetensors files of a checkpoint: the index's shards, or every *.safetensors file. A shard
 * the index names that is not there, or no weights at all, is named in transformers' words: an
 * interrupted download or copy, or PyTorch weights codistill does not read.
 */
function shardFiles(dir: string): string[] {
  const index = path.join(dir, 'model.safetensors.index.json');
  if (fs.existsSync(index)) {
    const map = readJson(index).weight_map as Record<string, string> | undefined;
    if (!map) throw new Error(`${index}: field 'weight_map' is missing`);
    const shards = [...new Set(Object.values(map))];
    // existsSync follows links: a Hub cache snapshot's link to a missing blob counts as missing.
    const missing = shards.filter((f) => !fs.existsSync(path.join(dir, f)));
    if (missing.length) {
      throw new Error(`${dir} does not appear to have a file named ${missing[0]}${missing.length > 1 ? ` (nor ${missing.length - 1} more shards)` : ''}, which model.safetensors.index.json names: an incomplete download or copy?`);
    }
    return shards.map((f) => path.join(dir, f));
  }
  const entries = fs.readdirSync(dir).filter((f) => !f.startsWith('.'));
  const files = entries.filter((f) => f.endsWith('.safetensors'));
  if (files.length) return files.sort().map((f) => path.join(dir, f));
  const pytorch = entries.find((f) => /^pytorch_model.*\.bin$/.test(f));
  if (pytorch) throw new Error(`${dir}: no *.safetensors weights, only ${pytorch} (PyTorch weights are not supported; convert them with safetensors)`);
  throw new Error(`${dir}: no model weights (model.safetensors, or model.safetensors.index.json and its shards): an incomplete download or copy?`);
}

/** The deepest folder containing every path. */
function commonDir(paths: string[]): string {
  const parts = paths.map((p) => path.dirname(p).split(path.sep));
  const out: string[] = [];
  for (let i = 0; parts.every((p) => i < p.length && p[i] === parts[0][i]); i++) out.push(parts[0][i]);
  return out.join(path.sep) || path.sep;
}

/**
 * A Hugging Face checkpoint folder: config, generation config and the tensor index of its
 * safetensors shards (headers only; tensor data stays on disk).
 *
 * Weights enter graphs as ONNX external data pointing into the shards. ONNX Runtime only accepts
 * relative locations that resolve (after following symlinks) inside one folder, so locations are
 * relative to `externalDataDir`: the deepest real folder holding every shard (for the Hugging Face
 * cache, the repo's `blobs/` folder, because snapshot files are symlinks into it).
 */
export class Checkpoint {
  readonly config: Json;
  readonly generationConfig: Json;
  readonly tensors = new Map<string, TensorEntry>();
  readonly externalDataDir: string;
  /** Weights cast at load because the compute dtype differs from the stored one (for run reports). */
  readonly casts = new Map<string, { from: DType; to: DType }>();
  private readonly perGraph = new WeakMap<GraphBuilder, Map<string, Value>>();

  constructor(readonly dir: string) {
    const configFile = path.join(dir, 'config.json');
    if (!fs.existsSync(configFile)) throw new Error(`${dir}: no config.json (is this a Hugging Face checkpoint folder?)`);
    this.config = readJson(configFile);
    const gen = path.join(dir, 'generation_config.json');
    this.generationConfig = fs.existsSync(gen) ? readJson(gen) : {};
    const files = shardFiles(dir).map((f) => fs.realpathSync(f));
    this.externalDataDir = commonDir(files);
    for (const file of files) {
      for (const [name, t] of readSafetensorsHeader(file).tensors) this.tensors.set(name, t);
    }
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  entry(name: string): TensorEntry {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`${this.dir}: the checkpoint has no tensor '${name}'`);
    return t;
  }

  /**
   * The tensor as a graph value of `dtype`: an external initializer pointing into its shard,
   * followed by one Cast when the stored dtype differs (ONNX Runtime folds it at session load,
   * so the conversion happens once). Asking twice in one graph returns the same value.
   */
  weight(g: GraphBuilder, name: string, dtype: DType, expectShape?: number[]): Value {
    const cache = this.perGraph.get(g) ?? new Map<string, Value>();
    this.perGraph.set(g, cache);
    const hit = cache.get(name);
    if (hit) return hit;
    const e = this.entry(name);
    if (expectShape && e.shape.join() !== expectShape.join()) {
      throw new Error(`${e.file}: tensor '${name}' has shape [${e.shape}], config.json implies [${expectShape}]`);
    }
    // Absolute: graphs can mix checkpoints (student + CodeBERT); the runner makes locations
    // relative to the folder holding them all (graph's relocateExternalData).
    const location = fs.realpathSync(e.file);
    const stored = g.initializer({ name, dtype: e.dtype, dims: [...e.shape], external: { location, offset: e.offset, length: e.length } });
    if (e.dtype !== dtype) this.casts.set(name, { from: e.dtype, to: dtype });
    const v = ops.cast(stored, dtype);
    cache.set(name, v);
    return v;
  }

  /** One line for run reports: which stored dtypes were converted at load. */
  castReport(): string | undefined {
    if (!this.casts.size) return undefined;
    const kinds = new Set([...this.casts.values()].map((c) => `${c.from} -> ${c.to}`));
    return `${this.casts.size} weights cast once at load (${[...kinds].join(', ')}): the provider computes in the target dtype`;
  }
}
