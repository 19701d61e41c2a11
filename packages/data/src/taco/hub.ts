import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir, writeFileDurable } from '@codistill/files';

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

  const treeUrl = `${endpoint}/api/datasets/${repo}/tree/${revision}/${configDir}`;
  const tree = await getOk(doFetch, treeUrl, headers);
  const entries = (await tree.json()) as HubTreeEntry[];
  const shardName = new RegExp(`^${configDir}/${options.split}-\\d+-of-\\d+\\.parquet$`);
  const shards = entries.filter((e) => e.type === 'file' && shardName.test(e.path)).sort((a, b) => a.path.localeCompare(b.path));
  if (shards.length === 0) throw new Error(`${treeUrl}: no ${options.split} parquet shards under ${configDir}/`);

  const targetDir = join(options.cacheDir, repo.replace('/', '--'), options.split);
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

async function getOk(doFetch: typeof fetch, url: string, headers: Record<string, string>): Promise<Response> {
  const response = await doFetch(url, { headers, redirect: 'follow' });
  if (!response.ok) {
    const hint = response.status === 401 || response.status === 403 ? ' (set HF_TOKEN and accept the dataset terms on the Hub)' : '';
    throw new Error(`GET ${url}: HTTP ${response.status}${hint}`);
  }
  return response;
}
