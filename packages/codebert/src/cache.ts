import fs from 'node:fs';
import { JsonlAppender, readJsonl } from '@codistill/util';

interface CacheRecord {
  key: string;
  /** float32 bytes, base64 */
  vec: string;
}

/**
 * Embeddings on disk, keyed by a hash of (model, pooling, text): an append-only JSONL file, so
 * an interrupted run keeps what it computed. A last line torn by a crash is skipped on reload and
 * cut off before the next append, so the record after it is not lost with it.
 */
export class EmbeddingCache {
  private readonly entries = new Map<string, Float32Array>();
  private readonly appender: JsonlAppender<CacheRecord>;

  constructor(readonly file: string) {
    if (fs.existsSync(file)) {
      for (const { value } of readJsonl<CacheRecord>(file)) this.entries.set(value.key, decode(value.vec));
    }
    this.appender = new JsonlAppender(file);
  }

  get(key: string): Float32Array | undefined {
    return this.entries.get(key);
  }

  set(key: string, vec: Float32Array): void {
    this.entries.set(key, vec);
    this.appender.append({ key, vec: Buffer.from(vec.buffer, vec.byteOffset, vec.byteLength).toString('base64') });
  }

  get size(): number {
    return this.entries.size;
  }
}

function decode(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
