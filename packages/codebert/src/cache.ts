import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const hashKey = (...parts: string[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex');

/**
 * Embeddings on disk, keyed by a hash of (model, pooling, text): an append-only JSONL file, so
 * an interrupted run keeps what it computed and a torn last line is skipped on reload.
 */
export class EmbeddingCache {
  private readonly entries = new Map<string, Float32Array>();

  constructor(readonly file: string) {
    if (!fs.existsSync(file)) return;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const { key, vec } = JSON.parse(line) as { key: string; vec: string };
        const bytes = Buffer.from(vec, 'base64');
        this.entries.set(key, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
      } catch {
        // a line cut short by a crash: recompute that entry
      }
    }
  }

  get(key: string): Float32Array | undefined {
    return this.entries.get(key);
  }

  set(key: string, vec: Float32Array): void {
    this.entries.set(key, vec);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const b64 = Buffer.from(vec.buffer, vec.byteOffset, vec.byteLength).toString('base64');
    fs.appendFileSync(this.file, JSON.stringify({ key, vec: b64 }) + '\n');
  }

  get size(): number {
    return this.entries.size;
  }
}
