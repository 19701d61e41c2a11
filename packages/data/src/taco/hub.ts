import { existsSync, readdirSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir, hubOffline, writeFileDurable } from '@codistill/util';

/**
 * Where BAAI/TACO lives on the Hugging Face Hub. Since the "Convert dataset to Parquet" commit the
 * repository holds `ALL/train-000NN-of-000MM.parquet` and `ALL/test-00000-of-00001.parquet`
 * (config `ALL`); the older Arrow shards under `train/` are not read.
 */
export interface TacoHubOptions {
  split: 'train' | 'test';
  cacheDir: string;
  repo?: string;
  revision?: string;
  configDir?: string;
  /** Hub base URL; tests point this at a loopback server. */
  endpoint?: string;
  /** Defaults to $HF_TOKEN (TACO may require accepting its terms on the Hub). */
  token?: string;
  fetch?: typeof fetch;
  /** Use only shards already in cacheDir, never the network (default: HF_HUB_OFFLINE). */
  offline?: boolean;
  onFile?: (file: { path: string; bytes: number; cached: boolean }) => void;
}

interface HubTreeEntry {
  type: string;
  path: string;
  size?: number;
}

/** Downloads the split's parquet shards (skipping ones already cached) and returns local paths. */
export async function downloadTacoFromHub(options: TacoHubOptions): Promise<string[]> {
  const repo = options.repo ?? 'BAAI/TACO';
  const revision = encodeURIComponent(options.revision ?? 'main');
  const endpoint = (options.endpoint ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/$/, '');
  const configDir = options.configDir ?? 'ALL';
  const doFetch = options.fetch ?? fetch;
  const token = options.token ?? process.env.HF_TOKEN;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};

  const targetDir = join(options.cacheDir, repo.replace('/', '--'), options.split);
  if (options.offline ?? hubOffline()) return cachedShards(targetDir, options);
  const treeUrl = `${endpoint}/api/datasets/${repo}/tree/${revision}/${configDir}`;
  const tree = await getOk(doFetch, treeUrl, headers);
  const entries = (await tree.json()) as HubTreeEntry[];
  const shards = entries.filter((e) => e.type === 'file' && e.path.startsWith(`${configDir}/`) && shardFile(options.split).test(e.path.slice(configDir.length + 1))).sort((a, b) => a.path.localeCompare(b.path));
  if (shards.length === 0) throw new Error(`${treeUrl}: no ${options.split} parquet shards under ${configDir}/`);

  ensureDir(targetDir);
  const paths: string[] = [];
  for (const shard of shards) {
    const target = join(targetDir, shard.path.split('/').pop()!);
    const cachedSize = await stat(target).then((s) => s.size, () => -1);
    const cached = cachedSize >= 0 && (shard.size === undefined || cachedSize === shard.size);
    if (!cached) {
      const response = await getOk(doFetch, `${endpoint}/datasets/${repo}/resolve/${revision}/${shard.path}`, headers);
      const bytes = new Uint8Array(await response.arrayBuffer());
      // All or nothing, so an interrupted download or a full disk never leaves what looks like a cached shard.
      writeFileDurable(target, bytes);
    }
    options.onFile?.({ path: target, bytes: shard.size ?? cachedSize, cached });
    paths.push(target);
  }
  return paths;
}

const shardFile = (split: string) => new RegExp(`^${split}-\\d+-of-\\d+\\.parquet$`);

/** Offline: the shards a download left in the cache, or an error saying none are there. */
function cachedShards(targetDir: string, options: TacoHubOptions): string[] {
  const names = existsSync(targetDir) ? readdirSync(targetDir).filter((name) => shardFile(options.split).test(name)).sort() : [];
  if (names.length === 0) throw new Error(`hub:${options.split} is not in the cache ${targetDir} and HF_HUB_OFFLINE is set (download it once online, or pass local files)`);
  const paths = names.map((name) => join(targetDir, name));
  for (const path of paths) options.onFile?.({ path, bytes: statSync(path).size, cached: true });
  return paths;
}

async function getOk(doFetch: typeof fetch, url: string, headers: Record<string, string>): Promise<Response> {
  const response = await doFetch(url, { headers, redirect: 'follow' });
  if (!response.ok) {
    const hint = response.status === 401 || response.status === 403 ? ' (set HF_TOKEN and accept the dataset terms on the Hub)' : '';
    throw new Error(`GET ${url}: HTTP ${response.status}${hint}`);
  }
  return response;
}
