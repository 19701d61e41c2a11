import fs from 'node:fs';
import path from 'node:path';
import { float32ToHalf, halfToFloat32, isHalf } from '@codistill/graph';
import type { HostTensor } from '@codistill/graph';
import { writeFileDurable } from '@codistill/util';
import { loadSafetensors, writeSafetensors } from '@codistill/models';
import { scaling } from './config.js';
import type { Adapter } from './peft-io.js';

/** Modules of an adapter: `<module>` for each `base_model.model.<module>.lora_A.weight`. */
function adaptedModules(adapter: Adapter): string[] {
  return Object.keys(adapter.weights).flatMap((n) => {
    const m = /^base_model\.model\.(.+)\.lora_A\.weight$/.exec(n);
    return m ? [m[1]] : [];
  });
}

/** W += sign * scaling * B @ A, in float32, written back in W's dtype. */
function applyDelta(w: HostTensor, A: Float32Array, B: Float32Array, r: number, k: number): HostTensor {
  const [out, inF] = w.dims;
  const half = isHalf(w.dtype) ? w.dtype : undefined;
  const vals = half ? halfToFloat32(half, w.data as Uint16Array) : Float32Array.from(w.data as Float32Array);
  for (let o = 0; o < out; o++) {
    for (let j = 0; j < r; j++) {
      const b = B[o * r + j] * k;
      if (b === 0) continue;
      const row = o * inF;
      const arow = j * inF;
      for (let i = 0; i < inF; i++) vals[row + i] += b * A[arow + i];
    }
  }
  return { dtype: w.dtype, dims: w.dims, data: half ? float32ToHalf(half, vals) : vals };
}

/**
 * Write a checkpoint with the adapter folded into its weights (sign 1) or taken back out of a
 * merged one (sign -1). Shards are processed one at a time; other files (config, tokenizer) are
 * copied.
 */
function rewrite(srcDir: string, adapter: Adapter, outDir: string, sign: 1 | -1): void {
  if (path.resolve(srcDir) === path.resolve(outDir)) throw new Error('merge: the output folder must differ from the checkpoint');
  const modules = new Set(adaptedModules(adapter));
  const k = sign * scaling(adapter.config);
  const done = new Set<string>();
  for (const file of fs.readdirSync(srcDir)) {
    const src = path.join(srcDir, file);
    if (!fs.statSync(src).isFile()) continue;
    if (!file.endsWith('.safetensors')) {
      writeFileDurable(path.join(outDir, file), fs.readFileSync(src)); // config and tokenizer files: small
      continue;
    }
    const tensors = loadSafetensors(src);
    for (const [name, t] of Object.entries(tensors)) {
      const module = name.replace(/\.weight$/, '');
      if (!modules.has(module)) continue;
      const A = adapter.weights[`base_model.model.${module}.lora_A.weight`];
      const B = adapter.weights[`base_model.model.${module}.lora_B.weight`];
      tensors[name] = applyDelta(t, A, B, adapter.config.r, k);
      done.add(module);
    }
    writeSafetensors(path.join(outDir, file), tensors, { format: 'pt' });
  }
  const missing = [...modules].filter((m) => !done.has(m));
  if (missing.length) throw new Error(`merge: the checkpoint has no weight for ${missing.join(', ')}`);
}

export const mergeAdapter = (checkpointDir: string, adapter: Adapter, outDir: string): void =>
  rewrite(checkpointDir, adapter, outDir, 1);

export const unmergeAdapter = (mergedDir: string, adapter: Adapter, outDir: string): void =>
  rewrite(mergedDir, adapter, outDir, -1);
