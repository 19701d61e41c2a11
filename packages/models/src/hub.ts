import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { getHFHubCachePath, getRepoFolderName, HUB_URL } from '@huggingface/hub';
import { ensureDir, hubOfflineVariable, hubTokenToSend, type HubTokenToSend } from '@codistill/util';

export interface ResolveOptions {
  /** Branch, tag or commit (default 'main'). */
  revision?: string;
  /**
   * Needed for gated models such as Llama. Default, as huggingface_hub's get_token(): HF_TOKEN, else
   * HUGGING_FACE_HUB_TOKEN, else the token `hf auth login` saved (HF_TOKEN_PATH, else
   * $HF_HOME/token); none of those when HF_HUB_DISABLE_IMPLICIT_TOKEN is on (util's hubTokenToSend).
   */
  token?: string;
  /** Use only the local cache (default: HF_HUB_OFFLINE=1, else TRANSFORMERS_OFFLINE=1, as huggingface_hub reads them). */
  offline?: boolean;
  /** Default: HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub (via @huggingface/hub). */
  cacheDir?: string;
  /** Default: HF_ENDPOINT, else https://huggingface.co. */
  hubUrl?: string;
  fetch?: typeof fetch;
  /** Files beyond the checkpoint's own (config, tokenizer, weights). */
  extraFiles?: string[];
  onFile?: (file: string, bytes: number) => void;
  /** Told when the Hub cannot be reached and the cached snapshot is used instead (default: console.warn). */
  onWarning?: (message: string) => void;
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

/** What turns offline mode on, for messages (undefined when it is off). */
function offlineSwitch(opts: ResolveOptions): string | undefined {
  if (opts.offline !== undefined) return opts.offline ? 'offline mode is on (offline: true)' : undefined;
  const variable = hubOfflineVariable();
  return variable && `${variable} is set`;
}

/** huggingface_hub's HF_HUB_ETAG_TIMEOUT: how long a metadata request (HEAD) may take, default 10 s. */
const etagTimeoutSeconds = () => Number(process.env.HF_HUB_ETAG_TIMEOUT) || 10;

/**
 * A revision becomes a path in the cache (`refs/<revision>`, as huggingface_hub writes it; `refs/pr/1`
 * is one): a name with empty, `.` or `..` parts could leave the repo's folder, so it is refused.
 */
function checkRevision(revision: string): string {
  if (revision.split('/').some((part) => part === '' || part === '.' || part === '..') || revision.includes('\\')) {
    throw new Error(`revision '${revision}' is not a branch, tag or commit name`);
  }
  return revision;
}

/** Where a model repo lives in the standard Hugging Face cache. */
export function repoCacheDir(modelId: string, cacheDir = getHFHubCachePath()): string {
  return path.join(cacheDir, getRepoFolderName({ name: modelId, type: 'model' }));
}

/** The cached snapshot folder of a revision that holds `marker`, or undefined. */
export function cachedSnapshot(modelId: string, opts: ResolveOptions = {}, marker = MODEL_FILES.required[0]): string | undefined {
  const repo = repoCacheDir(modelId, opts.cacheDir);
  const revision = checkRevision(opts.revision ?? 'main');
  const refFile = path.join(repo, 'refs', revision);
  const commit = COMMIT.test(revision) ? revision : fs.existsSync(refFile) ? fs.readFileSync(refFile, 'utf8').trim() : undefined;
  const dir = commit && path.join(repo, 'snapshots', commit);
  return dir && fs.existsSync(path.join(dir, marker)) ? dir : undefined;
}

/** A request to the Hub that failed: `status` is the HTTP status, undefined when no answer came (network, timeout). */
class HubError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Why a fetch got no answer, down to undici's cause under its 'fetch failed' (`getaddrinfo ENOTFOUND huggingface.co`). */
function networkCause(e: unknown): string {
  type Cause = Error & { code?: string; errors?: Cause[] };
  const error = e as Error & { cause?: Cause };
  if (error.name === 'TimeoutError') return `no answer within ${etagTimeoutSeconds()} s (HF_HUB_ETAG_TIMEOUT)`;
  const cause = error.cause?.errors?.[0] ?? error.cause;
  const detail = cause && (cause.message || cause.code);
  return detail ? `${error.message}: ${detail}` : error.message;
}

class HubClient {
  readonly base: string;
  private readonly token: HubTokenToSend;
  private readonly fetch: typeof fetch;

  constructor(
    readonly modelId: string,
    readonly opts: ResolveOptions,
  ) {
    this.base = (opts.hubUrl ?? process.env.HF_ENDPOINT ?? HUB_URL).replace(/\/$/, '');
    this.token = hubTokenToSend(opts.token);
    this.fetch = opts.fetch ?? fetch;
  }

  private url(revision: string, file: string): string {
    return `${this.base}/${this.modelId}/resolve/${encodeURIComponent(revision)}/${file}`;
  }

  /** A request with the token; no answer (network down, wrong HF_ENDPOINT, timeout) is a HubError naming the model, the endpoint and the cause. */
  private async request(url: string, init: RequestInit, timeoutSeconds?: number): Promise<Response> {
    const headers: Record<string, string> = this.token.token ? { authorization: `Bearer ${this.token.token}` } : {};
    try {
      return await this.fetch(url, { ...init, headers, signal: timeoutSeconds ? AbortSignal.timeout(timeoutSeconds * 1000) : undefined });
    } catch (e) {
      throw new HubError(`${this.modelId}: cannot reach the Hub at ${this.base} (${networkCause(e)})`);
    }
  }

  /** An HTTP error, naming the token's source (never the token) when it may be the reason. */
  private fail(file: string, status: number): never {
    const hint =
      status === 401 || status === 403
        ? ` (gated, private or not found; token sent: ${this.token.source}. Accept the licence on the Hub, and set HF_TOKEN or log in with \`hf auth login\`)`
        : '';
    throw new HubError(`${this.modelId}/${file}: the Hub at ${this.base} answered ${status}${hint}`, status);
  }

  /**
   * The commit and blob id of a file, read from the resolve endpoint's headers before any
   * redirect to the CDN (as huggingface_hub does); undefined when the file does not exist.
   */
  async head(revision: string, file: string): Promise<{ commit: string; etag: string } | undefined> {
    const res = await this.request(this.url(revision, file), { method: 'HEAD', redirect: 'manual' }, etagTimeoutSeconds());
    if (res.status === 404) return undefined;
    if (res.status >= 400) this.fail(file, res.status);
    const commit = res.headers.get('x-repo-commit');
    const etag = (res.headers.get('x-linked-etag') ?? res.headers.get('etag'))?.replace(/^W\//, '').replace(/"/g, '');
    if (!commit || !etag) throw new HubError(`${this.modelId}/${file}: the answer of ${this.base} lacks X-Repo-Commit or ETag (is HF_ENDPOINT a Hugging Face Hub?)`);
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
      const res = await this.request(this.url(commit, file), {});
      if (!res.ok || !res.body) this.fail(file, res.status);
      const partial = `${blob}.incomplete`;
      try {
        await pipeline(Readable.fromWeb(res.body as never), fs.createWriteStream(partial));
      } catch (e) {
        throw new HubError(`${this.modelId}/${file}: the download from ${this.base} broke off (${networkCause(e)})`);
      }
      fs.renameSync(partial, blob);
    }
    fs.symlinkSync(path.relative(path.dirname(pointer), blob), pointer);
    this.opts.onFile?.(file, fs.statSync(blob).size);
    return pointer;
  }
}

/** A required file a cached snapshot lacks. */
class MissingFile extends Error {
  constructor(readonly file: string) {
    super(file);
  }
}

/**
 * The first required file of `files` a snapshot folder lacks, looked for as the download fetches
 * them (a sharded model's index names its shards); undefined when it has them all. A file whose
 * blob is gone (a dangling link) counts as missing.
 */
async function missingFile(dir: string, files: RepoFiles): Promise<string | undefined> {
  const local = async (file: string, required: boolean): Promise<string | undefined> => {
    const at = path.join(dir, file);
    if (fs.existsSync(at)) return at;
    if (required) throw new MissingFile(file);
    return undefined;
  };
  try {
    for (const file of files.required.slice(1)) await local(file, true);
    await files.rest?.(local);
  } catch (e) {
    if (e instanceof MissingFile) return e.file;
    throw e;
  }
  return undefined;
}

/** The command that downloads a revision of a repo. */
const hfDownload = (id: string, revision: string) => `\`hf download ${id}${revision === 'main' ? '' : ` --revision ${revision}`}\``;

/**
 * The cached snapshot of the revision when the Hub is not asked: offline (`offline`: what turned it
 * on), or the Hub unreachable (`unreachable`: its error; the snapshot is used with a warning, as
 * huggingface_hub falls back to it). Without a snapshot, or with one that lacks a file (named in
 * transformers' words), it is an error that says what to do.
 */
async function fromCache(id: string, files: RepoFiles, opts: ResolveOptions, revision: string, how: { offline: string } | { unreachable: HubError }): Promise<string> {
  const dir = cachedSnapshot(id, opts, files.required[0]);
  const reason = 'offline' in how ? how.offline : how.unreachable.message;
  const fix = 'offline' in how ? `download it with the Hub reachable: ${hfDownload(id, revision)}, or run once without offline mode` : `download it once the Hub is reachable (${hfDownload(id, revision)})`;
  if (!dir) {
    if ('offline' in how) throw new Error(`${id}@${revision} is not in the cache ${opts.cacheDir ?? getHFHubCachePath()} and ${reason}: ${fix}`);
    const error = how.unreachable;
    if (error.status === 401 || error.status === 403) throw error;
    throw new Error(
      `${reason}, and revision '${revision}' is not in the cache ${opts.cacheDir ?? getHFHubCachePath()}. Check the network and HF_ENDPOINT; to work without the Hub, download it where the Hub is reachable (${hfDownload(id, revision)}) into this cache and set HF_HUB_OFFLINE=1`,
    );
  }
  const missing = await missingFile(dir, files);
  if (missing) throw new Error(`${id} does not appear to have a file named ${missing}: the cached snapshot ${dir} lacks it (an interrupted download?), and ${reason}. To complete it, ${fix}`);
  if ('unreachable' in how) {
    (opts.onWarning ?? console.warn)(`${reason}; using the cached snapshot of revision '${revision}' (${path.basename(dir)}), which may be out of date. Set HF_HUB_OFFLINE=1 to skip the Hub`);
  }
  return dir;
}

/**
 * A local checkpoint folder for a model: a directory as given, else the Hub id's snapshot in the
 * Hugging Face cache, downloading config, tokenizer and safetensors weights when missing (and not
 * offline). The cache layout is the standard one, shared with transformers and huggingface_hub.
 */
export function resolveModel(modelOrDir: string, opts: ResolveOptions = {}): Promise<string> {
  return resolveRepo(modelOrDir, MODEL_FILES, opts);
}

/** Whether `idOrDir` is a local folder, which resolveRepo takes as it is (it has no revisions), rather than a Hub id. */
export const isLocalFolder = (idOrDir: string): boolean => fs.existsSync(idOrDir) && fs.statSync(idOrDir).isDirectory();

/** resolveModel for a repo of another kind: a directory as given, else the Hub id's snapshot holding `files`. */
export async function resolveRepo(idOrDir: string, files: RepoFiles, opts: ResolveOptions = {}): Promise<string> {
  if (isLocalFolder(idOrDir)) return idOrDir;
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(idOrDir)) throw new Error(`'${idOrDir}' is neither a folder nor a Hub ${files.kind} id (org/name)`);
  const revision = checkRevision(opts.revision ?? 'main');
  const offline = offlineSwitch(opts);
  if (offline) return fromCache(idOrDir, files, opts, revision, { offline });
  const [marker, ...required] = files.required;
  const hub = new HubClient(idOrDir, opts);
  const repoDir = repoCacheDir(idOrDir, opts.cacheDir);
  let first: Awaited<ReturnType<HubClient['head']>>;
  try {
    first = await hub.head(revision, marker);
  } catch (e) {
    // The Hub is down, unreachable or refusing: the cached snapshot will do, as huggingface_hub decides.
    if (e instanceof HubError) return fromCache(idOrDir, files, opts, revision, { unreachable: e });
    throw e;
  }
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
    const ref = path.join(repoDir, 'refs', revision);
    ensureDir(path.dirname(ref));
    fs.writeFileSync(ref, commit);
  }
  return path.join(repoDir, 'snapshots', commit);
}
