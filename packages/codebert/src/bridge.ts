import fs from 'node:fs';
import path from 'node:path';
import type { HostTensor } from '@codistill/graph';
import { Checkpoint, readSafetensorsHeader, readTensor, TextTokenizer, writeSafetensors, type TensorEntry } from '@codistill/models';
import { hashKey } from '@codistill/util';

export interface Bridge {
  /** float32 [V_student, d_codebert] */
  file: string;
  entry: TensorEntry;
  studentVocab: number;
  dim: number;
}

const wordEmbeddingName = (ckpt: Checkpoint) =>
  ckpt.has('roberta.embeddings.word_embeddings.weight') ? 'roberta.embeddings.word_embeddings.weight' : 'embeddings.word_embeddings.weight';

/**
 * The bridge from the student's vocabulary into CodeBERT's input-embedding space: row v is the
 * mean CodeBERT word embedding of the CodeBERT tokens of student token v's text. Special tokens
 * (empty text) map to zero. Softmax(logits) @ bridge is then a soft CodeBERT input embedding.
 */
export function computeBridge(student: TextTokenizer, studentVocab: number, codebert: TextTokenizer, table: HostTensor): Float32Array {
  const [, d] = table.dims;
  const rows = table.data as Float32Array;
  const out = new Float32Array(studentVocab * d);
  for (let v = 0; v < studentVocab; v++) {
    const text = student.decode([v], true);
    if (!text) continue;
    const ids = codebert.encode(text, false);
    if (!ids.length) continue;
    const row = out.subarray(v * d, (v + 1) * d);
    for (const id of ids) for (let k = 0; k < d; k++) row[k] += rows[id * d + k];
    for (let k = 0; k < d; k++) row[k] /= ids.length;
  }
  return out;
}

/**
 * The bridge for a student and a CodeBERT checkpoint, computed once and cached as safetensors in
 * `cacheDir` (keyed by both tokenizers and the embedding table), so graphs can reference it as
 * external data.
 */
export function loadBridge(studentDir: string, studentVocab: number, codebertDir: string, cacheDir: string): Bridge {
  const ckpt = new Checkpoint(codebertDir);
  const tableEntry = ckpt.entry(wordEmbeddingName(ckpt));
  const key = hashKey(
    fs.readFileSync(path.join(studentDir, 'tokenizer.json'), 'utf8'),
    fs.readFileSync(path.join(codebertDir, 'tokenizer.json'), 'utf8'),
    `${tableEntry.file}:${tableEntry.offset}:${tableEntry.length}`,
    String(studentVocab),
  ).slice(0, 16);
  const file = path.join(cacheDir, `bridge-${key}.safetensors`);
  let entry = cachedBridge(file);
  if (!entry) {
    const table = readTensor(tableEntry);
    if (table.dtype !== 'float32') throw new Error(`${tableEntry.file}: bridge needs a float32 embedding table, found ${table.dtype}`);
    const data = computeBridge(TextTokenizer.fromDir(studentDir), studentVocab, TextTokenizer.fromDir(codebertDir), table);
    writeSafetensors(file, { bridge: { dtype: 'float32', dims: [studentVocab, table.dims[1]], data } });
    entry = readSafetensorsHeader(file).tensors.get('bridge')!;
  }
  return { file: fs.realpathSync(file), entry, studentVocab, dim: entry.shape[1] };
}

/**
 * The cached bridge's entry; undefined when there is none or it is damaged (e.g. cut short by a full
 * disk before writes were checked), so it is computed again instead of blocking every run.
 */
function cachedBridge(file: string): TensorEntry | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    const entry = readSafetensorsHeader(file).tensors.get('bridge');
    if (entry) return entry;
    console.warn(`${file}: no 'bridge' tensor; computing the bridge again`);
  } catch (error) {
    console.warn(`${(error as Error).message}; computing the bridge again`);
  }
  return undefined;
}
