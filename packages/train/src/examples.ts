import path from 'node:path';
import { hashKey } from '@codistill/util';
import { CodeBertEmbedder } from '@codistill/codebert';
import { TextTokenizer } from '@codistill/models';
import { idPacker, readTrainingRecords, tokenize, type TokenizedExample } from './data.js';
import type { TrainOptions } from './options.js';

/** A run's examples, tokenised and split, with the structural loss's ground truth when it has one. */
export interface Examples {
  tokenizer: TextTokenizer;
  train: TokenizedExample[];
  /** Held out for eval_loss (val_fraction, by a hash of the id, so the split survives reordering the file). */
  held: TokenizedExample[];
  /** Examples left out because max_length cut off their whole target. */
  truncatedAway: number;
  /** CodeBERT embeddings of each example's code, by id, and their width. */
  groundTruth?: { map: Map<string, Float32Array>; dim: number };
}

const isHeldOut = (id: string, fraction: number) => fraction > 0 && parseInt(hashKey(id).slice(0, 8), 16) / 0xffffffff < fraction;

/**
 * The examples, tokenised while the file streams by. Only ids and spans are held (the code text
 * too when the structural loss needs it), so the held size follows the tokens, not the file.
 */
export async function loadExamples(o: TrainOptions, cacheDir: string): Promise<Examples> {
  const tokenizer = TextTokenizer.fromDir(o.model_name_or_path);
  const all: TokenizedExample[] = [];
  const pack = idPacker();
  let truncatedAway = 0;
  for await (const record of readTrainingRecords(o.train_file)) {
    const example = tokenize(record, tokenizer, o.max_length);
    // An example whose target was cut off entirely by max_length teaches nothing.
    if (example.targetStart === example.ids.length) truncatedAway++;
    else all.push({ ...example, ids: pack(example.ids), code: o.codebert ? example.code : undefined });
  }
  if (!all.length) throw new Error(`${o.train_file}: every example's target lies beyond max_length ${o.max_length}`);
  const train = all.filter((e) => !isHeldOut(e.id, o.val_fraction));
  if (!train.length) throw new Error(`${o.train_file}: val_fraction ${o.val_fraction} leaves no training examples`);
  const held = all.filter((e) => isHeldOut(e.id, o.val_fraction));
  const groundTruth = o.codebert ? await embedCode(o, all, cacheDir) : undefined;
  return { tokenizer, train, held, truncatedAway, groundTruth };
}

/** Ground-truth CodeBERT embeddings of each example's code, cached on disk. */
async function embedCode(o: TrainOptions, examples: TokenizedExample[], cacheDir: string) {
  const embedder = await CodeBertEmbedder.load(o.codebert!, { cacheFile: path.join(cacheDir, 'gt-embeddings.jsonl'), threads: o.threads ?? undefined, provider: o.device, allowCpuFallback: o.allow_cpu_fallback });
  const withCode = examples.filter((e) => e.code);
  const vecs = await embedder.embed(withCode.map((e) => e.code!));
  await embedder.release();
  return { map: new Map(withCode.map((e, i) => [e.id, vecs[i]])), dim: embedder.dim };
}
