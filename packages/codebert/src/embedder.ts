import { GraphBuilder, hostTensor, Runner, type RunnerOptions } from '@codistill/graph';
import { buildEncoder, Checkpoint, TextTokenizer } from '@codistill/models';
import { hashKey } from '@codistill/util';
import { EmbeddingCache } from './cache.js';
import { pool, sequenceCapacity, type Pooling } from './pooling.js';

export interface EmbedderOptions extends Pick<RunnerOptions, 'provider' | 'threads' | 'allowCpuFallback'> {
  pooling?: Pooling;
  batchSize?: number;
  /** Disk cache file (JSONL) for embeddings, keyed by model, pooling and text. */
  cacheFile?: string;
}

/**
 * CodeBERT (any RoBERTa checkpoint) as a code embedder. Code longer than the model's 512
 * positions is split into windows; a text's embedding is the token-weighted mean of its windows'.
 */
export class CodeBertEmbedder {
  private readonly cache?: EmbeddingCache;

  private constructor(
    readonly checkpoint: Checkpoint,
    readonly tokenizer: TextTokenizer,
    private readonly runner: Runner,
    readonly pooling: Pooling,
    private readonly batchSize: number,
    cacheFile?: string,
  ) {
    if (cacheFile) this.cache = new EmbeddingCache(cacheFile);
  }

  static async load(dir: string, opts: EmbedderOptions = {}): Promise<CodeBertEmbedder> {
    const ckpt = new Checkpoint(dir);
    const tokenizer = TextTokenizer.fromDir(dir);
    const pooling = opts.pooling ?? 'mean';
    const enc = buildEncoder(ckpt, { graph: new GraphBuilder('codebert-embedder') });
    enc.graph.output(pool(enc.lastHidden, enc.attentionMask, pooling), 'embedding');
    const { provider, threads, allowCpuFallback } = opts;
    const runner = await Runner.create(enc.toModel(), { externalDataDir: ckpt.externalDataDir, provider, threads, allowCpuFallback });
    return new CodeBertEmbedder(ckpt, tokenizer, runner, pooling, opts.batchSize ?? 8, opts.cacheFile);
  }

  get dim(): number {
    return Number((this.checkpoint.config as { hidden_size: number }).hidden_size);
  }

  /** Windows of at most 510 content tokens, each wrapped in <s> ... </s>. */
  private windows(code: string): number[][] {
    const body = this.tokenizer.encode(code, false);
    const bos = this.tokenizer.idOf(this.tokenizer.bosToken ?? '<s>') ?? 0;
    const eos = this.tokenizer.idOf(this.tokenizer.eosToken ?? '</s>') ?? 2;
    const max = sequenceCapacity(this.checkpoint.config) - 2; // room for <s> and </s>
    const out: number[][] = [];
    for (let i = 0; i < Math.max(body.length, 1); i += max) out.push([bos, ...body.slice(i, i + max), eos]);
    return out;
  }

  private async embedWindows(rows: number[][]): Promise<Float32Array[]> {
    const width = Math.max(...rows.map((r) => r.length));
    const pad = this.tokenizer.padTokenId;
    const ids = rows.flatMap((r) => [...r, ...new Array(width - r.length).fill(pad)]);
    const mask = rows.flatMap((r) => [...r.map(() => 1), ...new Array(width - r.length).fill(0)]);
    const { outputs } = await this.runner.run({
      input_ids: hostTensor('int64', [rows.length, width], ids),
      attention_mask: hostTensor('int64', [rows.length, width], mask),
    });
    const d = outputs.embedding.dims[1];
    const data = outputs.embedding.data as Float32Array;
    return rows.map((_, i) => data.slice(i * d, (i + 1) * d));
  }

  /** Embeddings of `codes` (cached on disk when a cache file is set). */
  async embed(codes: string[]): Promise<Float32Array[]> {
    const keys = codes.map((c) => hashKey(this.checkpoint.dir, this.pooling, c));
    const out: (Float32Array | undefined)[] = keys.map((k) => this.cache?.get(k));
    const todo = codes.flatMap((c, i) => (out[i] ? [] : this.windows(c).map((w) => ({ i, w }))));
    for (let s = 0; s < todo.length; s += this.batchSize) {
      const batch = todo.slice(s, s + this.batchSize);
      const vecs = await this.embedWindows(batch.map((b) => b.w));
      batch.forEach((b, j) => {
        const weight = b.w.length - 2;
        const acc = (out[b.i] ??= new Float32Array(vecs[j].length)) as Float32Array & { tokens?: number };
        for (let k = 0; k < acc.length; k++) acc[k] += vecs[j][k] * Math.max(weight, 1);
        acc.tokens = (acc.tokens ?? 0) + Math.max(weight, 1);
      });
    }
    return out.map((v, i) => {
      const acc = v as Float32Array & { tokens?: number };
      if (acc.tokens !== undefined) {
        for (let k = 0; k < acc.length; k++) acc[k] /= acc.tokens;
        delete acc.tokens;
        this.cache?.set(keys[i], acc);
      }
      return acc;
    });
  }

  release(): Promise<void> {
    return this.runner.release();
  }
}
