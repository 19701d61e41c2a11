import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { getHFHubCachePath, getRepoFolderName, HUB_URL } from '@huggingface/hub';
import { ensureDir, hubOffline } from '@codistill/util';

export interface ResolveOptions {
  /** Branch, tag or commit (default 'main'). */
  revision?: string;
  /** Default: HF_TOKEN (needed for gated models such as Llama). */
  token?: string;
  /** Use only the local cache (default: HF_HUB_OFFLINE=1). */
  offline?: boolean;
  /** Default: HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub (via @huggingface/hub). */
  cacheDir?: string;
  /** Default: HF_ENDPOINT, else https://huggingface.co. */
  hubUrl?: string;
  fetch?: typeof fetch;
  /** Files beyond the checkpoint's own (config, tokenizer, weights). */
  extraFiles?: string[];
  onFile?: (file: string, bytes: number) => void;
}

const COMMIT = /^[0-9a-f]{40}$/;
const INDEX = 'model.safetensors.index.json';

/** What a repo's snapshot needs; the first required file marks a usable snapshot in the cache. */
export interface RepoFiles {
  /** What the repo holds, for messages: 'model', 'PEFT adapter'. */
  kind: string;
  required: string[];
  optional: string[];
  /** More files, named by those fetched so far (a sharded model's index); `fetchFile` gives the local path, or undefined for a missing optional file. */
  rest?: (fetchFile: (file: string, required: boolean) => Promise<string | undefined>) => Promise<void>;
}

/** A checkpoint: config, tokenizer, and the safetensors weights (one file, or the shards its index names). */
const MODEL_FILES: RepoFiles = {
  kind: 'model',
  required: ['config.json'],
  optional: ['generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja'],
  rest: async (fetchFile) => {
    const index = await fetchFile(INDEX, false);
    const shards = index
      ? [...new Set(Object.values((JSON.parse(fs.readFileSync(index, 'utf8')) as { weight_map: Record<string, string> }).weight_map))]
      : ['model.safetensors'];
    for (const shard of shards) await fetchFile(shard, true);
  },
};

const isOffline = (opts: ResolveOptions) => opts.offline ?? hubOffline();

/** Where a model repo lives in the standard Hugging Face cache. */
export function repoCacheDir(modelId: string, cacheDir = getHFHubCachePath()): string {
  return path.join(cacheDir, getRepoFolderName({ name: modelId, type: 'model' }));
}

/** The cached snapshot folder of a revision that holds `marker`, or undefined. */
export function cachedSnapshot(modelId: string, opts: ResolveOptions = {}, marker = MODEL_FILES.required[0]): string | undefined {
  const repo = repoCacheDir(modelId, opts.cacheDir);
  const revision = opts.revision ?? 'main';
  const refFile = path.join(repo, 'refs', revision);
  const commit = COMMIT.test(revision) ? revision : fs.existsSync(refFile) ? fs.readFileSync(refFile, 'utf8').trim() : undefined;
  const dir = commit && path.join(repo, 'snapshots', commit);
  return dir && fs.existsSync(path.join(dir, marker)) ? dir : undefined;
}

class HubClient {
  readonly base: string;
  readonly token?: string;
  private readonly fetch: typeof fetch;

  constructor(
    readonly modelId: string,
    readonly opts: ResolveOptions,
  ) {
    this.base = (opts.hubUrl ?? process.env.HF_ENDPOINT ?? HUB_URL).replace(/\/$/, '');
    this.token = opts.token ?? process.env.HF_TOKEN;
    this.fetch = opts.fetch ?? fetch;
  }

  private url(revision: string, file: string): string {
    return `${this.base}/${this.modelId}/resolve/${encodeURIComponent(revision)}/${file}`;
  }

  private get headers(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  private fail(file: string, status: number): never {
    const hint = status === 401 || status === 403 ? ' (gated or private: accept the licence on the Hub and set HF_TOKEN)' : '';
    throw new Error(`${this.modelId}/${file}: the Hub answered ${status}${hint}`);
  }

  /**
   * The commit and blob id of a file, read from the resolve endpoint's headers before any
   * redirect to the CDN (as huggingface_hub does); undefined when the file does not exist.
   */
  async head(revision: string, file: string): Promise<{ commit: string; etag: string } | undefined> {
    const res = await this.fetch(this.url(revision, file), { method: 'HEAD', redirect: 'manual', headers: this.headers });
    if (res.status === 404) return undefined;
    if (res.status >= 400) this.fail(file, res.status);
    const commit = res.headers.get('x-repo-commit');
    const etag = (res.headers.get('x-linked-etag') ?? res.headers.get('etag'))?.replace(/^W\//, '').replace(/"/g, '');
    if (!commit || !etag) throw new Error(`${this.modelId}/${file}: the Hub's answer lacks X-Repo-Commit or ETag`);
    return { commit, etag };
  }

  /** Stream a file into blobs/<etag> and link snapshots/<commit>/<file> to it (skipped when cached). */
  async download(repoDir: string, commit: string, file: string, etag: string): Promise<string> {
    const pointer = path.join(repoDir, 'snapshots', commit, file);
    if (fs.existsSync(pointer)) return pointer;
    const blob = path.join(repoDir, 'blobs', etag);
    ensureDir(path.dirname(blob));
    ensureDir(path.dirname(pointer));
    if (!fs.existsSync(blob)) {
      const res = await this.fetch(this.url(commit, file), { headers: this.headers });
      if (!res.ok || !res.body) this.fail(file, res.status);
      const partial = `${blob}.incomplete`;
      await pipeline(Readable.fromWeb(res.body as never), fs.createWriteStream(partial));
      fs.renameSync(partial, blob);
    }
    fs.symlinkSync(path.relative(path.dirname(pointer), blob), pointer);
    this.opts.onFile?.(file, fs.statSync(blob).size);
    return pointer;
  }
}

/**
 * A local checkpoint folder for a model: a directory as given, else the Hub id's snapshot in the
 * Hugging Face cache, downloading config, tokenizer and safetensors weights when missing (and not
 * offline). The cache layout is the standard one, shared with transformers and huggingface_hub.
 */
export function resolveModel(modelOrDir: string, opts: ResolveOptions = {}): Promise<string> {
  return resolveRepo(modelOrDir, MODEL_FILES, opts);
}

/** resolveModel for a repo of another kind: a directory as given, else the Hub id's snapshot holding `files`. */
export async function resolveRepo(idOrDir: string, files: RepoFiles, opts: ResolveOptions = {}): Promise<string> {
  if (fs.existsSync(idOrDir) && fs.statSync(idOrDir).isDirectory()) return idOrDir;
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(idOrDir)) throw new Error(`'${idOrDir}' is neither a folder nor a Hub ${files.kind} id (org/name)`);
  const [marker, ...required] = files.required;
  const cached = cachedSnapshot(idOrDir, opts, marker);
  if (isOffline(opts)) {
    if (cached) return cached;
    throw new Error(`${idOrDir}@${opts.revision ?? 'main'} is not in the cache ${opts.cacheDir ?? getHFHubCachePath()} and HF_HUB_OFFLINE is set`);
  }
  const hub = new HubClient(idOrDir, opts);
  const revision = opts.revision ?? 'main';
  const repoDir = repoCacheDir(idOrDir, opts.cacheDir);
  const first = await hub.head(revision, marker);
  if (!first) throw new Error(`${idOrDir}: no ${marker} at revision '${revision}' (wrong id or revision, or not a ${files.kind}?)`);
  const { commit } = first;
  const fetchFile = async (file: string, needed: boolean): Promise<string | undefined> => {
    const info = await hub.head(commit, file);
    if (!info) {
      if (needed) throw new Error(`${idOrDir}@${commit}: ${file} is missing`);
      return undefined;
    }
    return hub.download(repoDir, commit, file, info.etag);
  };
  await hub.download(repoDir, commit, marker, first.etag);
  for (const f of required) await fetchFile(f, true);
  for (const f of [...files.optional, ...(opts.extraFiles ?? [])]) await fetchFile(f, false);
  await files.rest?.(fetchFile);
  if (!COMMIT.test(revision)) {
    ensureDir(path.join(repoDir, 'refs'));
    fs.writeFileSync(path.join(repoDir, 'refs', revision), commit);
  }
  return path.join(repoDir, 'snapshots', commit);
}
