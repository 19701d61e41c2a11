import fs from 'node:fs';
import path from 'node:path';
import { float32ToHalf, halfToFloat32, isHalf } from '@codistill/graph';
import type { HostTensor } from '@codistill/graph';
import { writeDirDurable, writeFileDurable } from '@codistill/util';
import { Checkpoint, loadSafetensors, writeSafetensors } from '@codistill/models';
import { loraNames, scaling } from './config.js';
import { checkAdapterFits } from './fit.js';
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
 * The LoRA tensors the checkpoint's weights take for the modules the adapter adapts: merging reads
 * no config.json, so it folds an adapter into any model's safetensors.
 */
function checkpointShapes(adapter: Adapter, checkpoint: Checkpoint): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  for (const module of adaptedModules(adapter)) {
    const w = checkpoint.tensors.get(`${module}.weight`);
    if (w?.shape.length !== 2) continue; // no such Linear here: checkAdapterFits names the tensor
    const names = loraNames(module);
    shapes[names.A] = [adapter.config.r, w.shape[1]];
    shapes[names.B] = [w.shape[0], adapter.config.r];
  }
  return shapes;
}

/**
 * Write a checkpoint with the adapter folded into its weights (sign 1) or taken back out of a
 * merged one (sign -1). Every check runs before anything is written (the adapter's tensors against
 * the checkpoint's headers), and the checkpoint is written whole or not at all (writeDirDurable), so
 * `outDir` never holds a partly merged model that loads without complaint. Shards are processed
 * one at a time; other files (config, tokenizer) are copied.
 */
function rewrite(srcDir: string, adapter: Adapter, outDir: string, sign: 1 | -1): void {
  if (path.resolve(srcDir) === path.resolve(outDir)) throw new Error('merge: the output folder must differ from the checkpoint');
  checkAdapterFits(adapter, checkpointShapes(adapter, new Checkpoint(srcDir)));
  const modules = new Set(adaptedModules(adapter));
  const k = sign * scaling(adapter.config);
  writeDirDurable(outDir, (tmp) => {
    for (const file of fs.readdirSync(srcDir)) {
      const src = path.join(srcDir, file);
      if (!fs.statSync(src).isFile()) continue;
      if (!file.endsWith('.safetensors')) {
        writeFileDurable(path.join(tmp, file), fs.readFileSync(src)); // config and tokenizer files: small
        continue;
      }
      const tensors = loadSafetensors(src);
      for (const [name, t] of Object.entries(tensors)) {
        const module = name.replace(/\.weight$/, '');
        if (!modules.has(module)) continue;
        const { A, B } = loraNames(module);
        tensors[name] = applyDelta(t, adapter.weights[A], adapter.weights[B], adapter.config.r, k);
      }
      writeSafetensors(path.join(tmp, file), tensors, { format: 'pt' });
    }
  });
}

export const mergeAdapter = (checkpointDir: string, adapter: Adapter, outDir: string): void =>
  rewrite(checkpointDir, adapter, outDir, 1);

export const unmergeAdapter = (mergedDir: string, adapter: Adapter, outDir: string): void =>
  rewrite(mergedDir, adapter, outDir, -1);
