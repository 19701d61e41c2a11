import { createHash } from 'node:crypto';
import { createWriteStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { copyFile, open, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { datasetInfo, downloadFile, getHFHubCachePath, getRepoFolderName, HUB_URL, HubApiError, listFiles, type RepoId } from '@huggingface/hub';
import { ensureDir, hubOffline, hubTokenPath, hubTokenToSend, syncDir, writeFileDurable, type HubTokenToSend } from '@codistill/util';

/**
 * Where BAAI/TACO lives on the Hugging Face Hub. Since the "Convert dataset to Parquet" commit the
 * repository holds `ALL/train-000NN-of-000MM.parquet` and `ALL/test-00000-of-00001.parquet`
 * (config `ALL`); the older Arrow shards under `train/` are not read.
 *
 * The shards go to the shared Hugging Face cache in huggingface_hub's layout
 * (`<cacheDir>/datasets--BAAI--TACO/{blobs,snapshots/<commit>,refs}`), so files that Python's
 * `datasets` / `huggingface_hub` downloaded are used as they are, and the other way round.
 */
export interface TacoHubOptions {
  split: 'train' | 'test';
  /** The Hub cache root. Default: HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
  cacheDir?: string;
  repo?: string;
  /** Branch, tag or commit (default 'main'). A commit whose shards are cached needs no network. */
  revision?: string;
  configDir?: string;
  /** Hub base URL (default: HF_ENDPOINT, else https://huggingface.co); tests point this at a loopback server. */
  endpoint?: string;
  /**
   * The Hub access token (TACO may require accepting its terms on the Hub). Default, as
   * huggingface_hub's get_token(): HF_TOKEN, else HUGGING_FACE_HUB_TOKEN, else the token `hf auth
   * login` saved (HF_TOKEN_PATH, else $HF_HOME/token); none of those when
   * HF_HUB_DISABLE_IMPLICIT_TOKEN is on (util's hubTokenToSend, shared with @codistill/models).
   */
  token?: string;
  fetch?: typeof fetch;
  /** Use only shards already in the cache, never the network (default: HF_HUB_OFFLINE). */
  offline?: boolean;
  /** Each shard's snapshot path, its size, and whether it was already in the cache. */
  onFile?: (file: { path: string; bytes: number; cached: boolean }) => void;
}

/** One shard as the Hub's tree API lists it. */
interface ShardEntry {
  path: string;
  size: number;
  oid?: string;
  lfs?: { oid: string; size: number };
  xetHash?: string;
}

interface Resolved {
  split: string;
  repo: string;
  repoId: RepoId;
  revision: string;
  configDir: string;
  cacheRoot: string;
  /** `<cacheRoot>/datasets--<org>--<name>` */
  repoDir: string;
  hubUrl: string;
  /** The token sent and its source; looked up only when the Hub is asked (not offline, not for a cached commit). */
  token: HubTokenToSend;
  fetch?: typeof fetch;
}

/** What the cache holds of a split at one commit. */
interface CachedSplit {
  commit?: string;
  /** Snapshot paths of the shards present, in order. */
  paths: string[];
  /** Repo paths of the shards that are not (a glob when their number is unknown). */
  missing: string[];
}

const COMMIT = /^[0-9a-f]{40}$/;
/** Blob names are the file's sha256 (LFS), xet hash or git oid; anything else is not a safe file name. */
const ETAG = /^[0-9a-f]{40,64}$/;

/**
 * The split's parquet shards as local paths (`snapshots/<commit>/ALL/<split>-000NN-of-000MM.parquet`
 * in the Hub cache), downloading those not cached. Online, the revision's commit is asked of the Hub
 * (one request) unless `revision` is a commit already cached; offline, only the cache is read. Each
 * download streams to a temp file, is checked against the listed size and sha256, and only then
 * becomes a blob and a snapshot link, so an interrupted download never looks cached.
 */
export async function downloadTacoFromHub(options: TacoHubOptions): Promise<string[]> {
  const hub = resolve(options);
  const pinned = COMMIT.test(hub.revision);
  if (options.offline ?? hubOffline()) return fromCache(hub, cachedSplit(hub), options, offlineError);
  if (pinned) {
    const cached = cachedSplit(hub);
    if (cached.missing.length === 0) return fromCache(hub, cached, options);
  }

  hub.token = sendToken(options);
  let commit: string;
  try {
    commit = pinned ? hub.revision : await revisionCommit(hub);
  } catch (error) {
    if (error instanceof HubApiError && error.statusCode < 500) throw hubError(hub, error);
    if (!unreachable(error)) throw error;
    // The Hub cannot be reached (or is down): like huggingface_hub, fall back to what the cache holds.
    return fromCache(hub, cachedSplit(hub), options, (h, cached) => unreachableError(h, cached, error));
  }
  if (!pinned) writeRef(hub, commit);
  const cached = cachedSplit(hub, commit);
  if (cached.missing.length === 0) return fromCache(hub, cached, options);

  const shards = await listShards(hub, commit);
  const paths: string[] = [];
  for (const shard of shards) {
    const local = await ensureShard(hub, commit, shard);
    options.onFile?.({ path: local.path, bytes: shard.lfs?.size ?? shard.size, cached: local.cached });
    paths.push(local.path);
  }
  return paths;
}

function resolve(options: TacoHubOptions): Resolved {
  const repo = options.repo ?? 'BAAI/TACO';
  const repoId: RepoId = { type: 'dataset', name: repo };
  const cacheRoot = path.resolve(options.cacheDir ?? getHFHubCachePath());
  return {
    split: options.split,
    repo,
    repoId,
    revision: safeRelative('revision', options.revision ?? 'main'),
    configDir: safeRelative('configDir', (options.configDir ?? 'ALL').replace(/^\/+|\/+$/g, '')),
    cacheRoot,
    repoDir: path.join(cacheRoot, getRepoFolderName(repoId)),
    hubUrl: (options.endpoint ?? process.env.HF_ENDPOINT ?? HUB_URL).replace(/\/+$/, ''),
    token: { source: 'none' },
    fetch: options.fetch,
  };
}

/** Revision and folder names become paths in the cache (`refs/<revision>`, like huggingface_hub's): no way out of it. */
function safeRelative(what: string, value: string): string {
  if (value.split('/').some((part) => part === '' || part === '.' || part === '..')) throw new Error(`${what} '${value}' is not a plain name or relative path`);
  return value;
}

/**
 * The token to send (as @codistill/models finds it, see TacoHubOptions.token). @huggingface/hub
 * refuses tokens not starting with hf_ with a bare TypeError; this says where such a one came from.
 */
function sendToken(options: TacoHubOptions): HubTokenToSend {
  const sent = hubTokenToSend(options.token);
  if (sent.token && !sent.token.startsWith('hf_')) {
    const from = sent.source === hubTokenPath() ? `the token file ${sent.source} (hf auth login)` : sent.source;
    throw new Error(`${from} is not a Hugging Face access token (those start with hf_)`);
  }
  return sent;
}

const shardName = (split: string) => new RegExp(`^${split}-(\\d+)-of-(\\d+)\\.parquet$`);
const shardGlob = (hub: Resolved) => `${hub.configDir}/${hub.split}-*.parquet`;

/** The commit a revision names in the cache: itself when it is one, else `refs/<revision>`. */
function cachedCommit(hub: Resolved): string | undefined {
  if (COMMIT.test(hub.revision)) return hub.revision;
  try {
    const commit = readFileSync(path.join(hub.repoDir, 'refs', hub.revision), 'utf8').trim();
    return COMMIT.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The split's shards in a cached snapshot. Shard names carry their count (`-of-000MM`), so a
 * snapshot is complete when all M are there; a link whose blob is gone does not count.
 */
function cachedSplit(hub: Resolved, commit = cachedCommit(hub)): CachedSplit {
  if (!commit) return { paths: [], missing: [shardGlob(hub)] };
  const dir = path.join(hub.repoDir, 'snapshots', commit, hub.configDir);
  const pattern = shardName(hub.split);
  const found = new Map<number, { name: string; total: number; digits: number }>();
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // no snapshot of this commit
  }
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m || !isFile(path.join(dir, name))) continue;
    found.set(Number(m[1]), { name, total: Number(m[2]), digits: m[1].length });
  }
  const totals = new Set([...found.values()].map((f) => f.total));
  if (totals.size !== 1) return { commit, paths: [], missing: [shardGlob(hub)] };
  const [total] = totals;
  const digits = [...found.values()][0].digits;
  const pad = (n: number) => String(n).padStart(digits, '0');
  const paths: string[] = [];
  const missing: string[] = [];
  for (let i = 0; i < total; i++) {
    const shard = found.get(i);
    if (shard) paths.push(path.join(dir, shard.name));
    else missing.push(`${hub.configDir}/${hub.split}-${pad(i)}-of-${pad(total)}.parquet`);
  }
  return { commit, paths, missing };
}

/** The cached shards when complete (reporting each), else the error `fail` makes. */
function fromCache(hub: Resolved, cached: CachedSplit, options: TacoHubOptions, fail: (hub: Resolved, cached: CachedSplit) => Error = offlineError): string[] {
  if (cached.missing.length > 0) throw fail(hub, cached);
  for (const file of cached.paths) options.onFile?.({ path: file, bytes: statSync(file).size, cached: true });
  return cached.paths;
}

/** No answer from the Hub at all (refused, DNS, reset, timeout) or a server error, as opposed to a refusal. */
function unreachable(error: unknown): boolean {
  if (error instanceof HubApiError) return error.statusCode >= 500;
  const e = errorLike(error);
  return !!e && (e.message === 'fetch failed' || e.name === 'TimeoutError' || typeof errorLike(e.cause)?.code === 'string');
}

/** An Error from any realm (fetch's errors are not `instanceof Error` inside a vm context such as jest's). */
function errorLike(value: unknown): (Error & { code?: unknown }) | undefined {
  return typeof value === 'object' && value !== null && typeof (value as Error).message === 'string' ? (value as Error) : undefined;
}

function describeMissing(hub: Resolved, cached: CachedSplit): string {
  const shown = cached.missing.slice(0, 4).join(', ');
  const more = cached.missing.length > 4 ? ` and ${cached.missing.length - 4} more` : '';
  const at = cached.commit && cached.commit !== hub.revision ? `${hub.revision} (${cached.commit})` : hub.revision;
  return `${shown}${more} of dataset ${hub.repo} at revision ${at}`;
}

function fetchHint(hub: Resolved): string {
  const revision = hub.revision === 'main' ? '' : ` --revision ${hub.revision}`;
  const cache = hub.cacheRoot === path.resolve(getHFHubCachePath()) ? '' : ` --cache-dir ${hub.cacheRoot}`;
  return `hf download ${hub.repo} --repo-type dataset --include '${shardGlob(hub)}'${revision}${cache}`;
}

function offlineError(hub: Resolved, cached: CachedSplit): Error {
  return new Error(
    `hub:${hub.split} is not in the cache ${hub.repoDir} and offline mode is on (HF_HUB_OFFLINE): missing ${describeMissing(hub, cached)}. ` +
      `Fetch it once online (unset HF_HUB_OFFLINE and run again, or \`${fetchHint(hub)}\`), or pass local parquet files.`,
  );
}

function unreachableError(hub: Resolved, cached: CachedSplit, error: unknown): Error {
  const reason = error instanceof HubApiError ? `HTTP ${error.statusCode}` : describeError(error);
  return new Error(
    `cannot reach the Hub at ${hub.hubUrl} (${reason}), and hub:${hub.split} is not in the cache ${hub.repoDir}: missing ${describeMissing(hub, cached)}`,
    { cause: error },
  );
}

function hubError(hub: Resolved, error: HubApiError, file?: string): Error {
  const hint =
    error.statusCode === 401 || error.statusCode === 403
      ? ` (gated, private or not found; token sent: ${hub.token.source}. Check the name, accept the dataset terms on the Hub, and set HF_TOKEN or log in with \`hf auth login\`)`
      : error.statusCode === 404
        ? ' (wrong repository, revision or path?)'
        : '';
  const what = `${hub.repo}${file ? `/${file}` : ''}@${hub.revision}`;
  return new Error(`${what}: the Hub answered HTTP ${error.statusCode} for ${error.url}${hint}`, { cause: error });
}

function describeError(error: unknown): string {
  const e = errorLike(error);
  if (!e) return String(error);
  const cause = errorLike(e.cause);
  return cause ? `${e.message}: ${typeof cause.code === 'string' ? cause.code : cause.message}` : e.message;
}

/** The commit a branch or tag points to now (what huggingface_hub records in `refs/<revision>`). */
async function revisionCommit(hub: Resolved): Promise<string> {
  const info = await datasetInfo({
    name: hub.repo,
    revision: hub.revision,
    additionalFields: ['sha'],
    hubUrl: hub.hubUrl,
    accessToken: hub.token.token,
    fetch: hub.fetch,
  });
  if (!COMMIT.test(info.sha ?? '')) throw new Error(`${hub.repo}@${hub.revision}: the Hub's answer has no commit sha`);
  return info.sha;
}

function writeRef(hub: Resolved, commit: string): void {
  const ref = path.join(hub.repoDir, 'refs', hub.revision);
  if (cachedCommit(hub) !== commit) writeFileDurable(ref, commit);
}

async function listShards(hub: Resolved, commit: string): Promise<ShardEntry[]> {
  const pattern = shardName(hub.split);
  const shards: ShardEntry[] = [];
  try {
    const entries = listFiles({ repo: hub.repoId, path: hub.configDir, revision: commit, hubUrl: hub.hubUrl, accessToken: hub.token.token, fetch: hub.fetch });
    for await (const entry of entries) {
      if (entry.type === 'file' && entry.path === `${hub.configDir}/${path.posix.basename(entry.path)}` && pattern.test(path.posix.basename(entry.path))) shards.push(entry);
    }
  } catch (error) {
    throw error instanceof HubApiError ? hubError(hub, error, hub.configDir) : error;
  }
  if (shards.length === 0) throw new Error(`${hub.repo}@${hub.revision} (${commit}): no ${hub.split} parquet shards under ${hub.configDir}/`);
  return shards.sort((a, b) => a.path.localeCompare(b.path));
}

/** The shard's snapshot link, downloading its blob first when the cache lacks it. */
async function ensureShard(hub: Resolved, commit: string, shard: ShardEntry): Promise<{ path: string; cached: boolean }> {
  const size = shard.lfs?.size ?? shard.size;
  const pointer = path.join(hub.repoDir, 'snapshots', commit, hub.configDir, path.posix.basename(shard.path));
  if (fileSize(pointer) === size) return { path: pointer, cached: true };
  const etag = shard.lfs?.oid ?? shard.xetHash ?? shard.oid;
  if (!etag || !ETAG.test(etag)) throw new Error(`${hub.repo}/${shard.path}: the Hub's listing has no usable blob id`);
  const blob = path.join(hub.repoDir, 'blobs', etag);
  const cached = fileSize(blob) === size;
  if (!cached) await downloadBlob(hub, commit, shard, blob, size);
  await link(pointer, blob);
  return { path: pointer, cached };
}

/**
 * Streams a file into `blobs/<etag>`: a temp file of this process (`.incomplete`, as huggingface_hub
 * names partial downloads), every byte counted and hashed, fsync, rename. On any failure the temp
 * file is removed and no blob appears.
 */
async function downloadBlob(hub: Resolved, commit: string, shard: ShardEntry, blob: string, size: number): Promise<void> {
  ensureDir(path.dirname(blob));
  const partial = `${blob}.${process.pid}.${Math.random().toString(36).slice(2)}.incomplete`;
  try {
    const file = await downloadFile({ repo: hub.repoId, path: shard.path, revision: commit, hubUrl: hub.hubUrl, accessToken: hub.token.token, fetch: hub.fetch });
    if (!file) throw new Error(`${hub.repo}/${shard.path}@${commit}: listed, but the Hub has no such file`);
    const sha256 = createHash('sha256');
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        sha256.update(chunk);
        bytes += chunk.length;
        callback(null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(file.stream() as never), count, createWriteStream(partial, { flags: 'wx' }));
    if (bytes !== size) throw new Error(`got ${bytes} of ${size} bytes`);
    if (shard.lfs && /^[0-9a-f]{64}$/.test(shard.lfs.oid) && sha256.digest('hex') !== shard.lfs.oid) throw new Error('sha256 differs from the Hub listing');
    const handle = await open(partial, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(partial, blob);
    syncDir(path.dirname(blob));
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof HubApiError) throw hubError(hub, error, shard.path);
    throw new Error(`downloading ${hub.repo}/${shard.path} into ${blob} failed (nothing was cached): ${describeError(error)}`, { cause: error });
  }
}

/** `snapshots/<commit>/<file>` -> `../../../blobs/<etag>`, relative as huggingface_hub makes it (a copy where symlinks fail). */
async function link(pointer: string, blob: string): Promise<void> {
  ensureDir(path.dirname(pointer));
  const temp = `${pointer}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    try {
      await symlink(path.relative(path.dirname(pointer), blob), temp);
    } catch {
      await copyFile(blob, temp);
    }
    await rename(temp, pointer);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

function fileSize(file: string): number | undefined {
  try {
    const info = statSync(file);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

const isFile = (file: string) => fileSize(file) !== undefined;
