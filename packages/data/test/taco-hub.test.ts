import { fileURLToPath } from 'node:url';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadTacoFromHub, loadTacoFiles } from '../src/taco/index.js';
import { writeStringParquet } from './fixtures/taco/write-parquet.js';

const SAMPLE = fileURLToPath(new URL('../samples/taco-sample.jsonl', import.meta.url));

describe('downloadTacoFromHub (loopback Hub)', () => {
  let server: Server;
  let endpoint: string;
  const requests: Array<{ url: string; auth?: string }> = [];
  const shards = new Map<string, Uint8Array>();

  beforeAll(async () => {
    const rows = (await readFile(SAMPLE, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const columns = ['question', 'solutions', 'starter_code', 'input_output', 'difficulty', 'source', 'name', 'url'];
    const asStrings = rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? ''])));
    shards.set('ALL/train-00000-of-00002.parquet', writeStringParquet(asStrings.slice(0, 20), columns));
    shards.set('ALL/train-00001-of-00002.parquet', writeStringParquet(asStrings.slice(20), columns));
    shards.set('ALL/test-00000-of-00001.parquet', writeStringParquet(asStrings.slice(0, 2), columns));
    server = createServer((req, res) => {
      requests.push({ url: req.url!, auth: req.headers.authorization });
      if (req.url === '/api/datasets/BAAI/TACO/tree/main/ALL') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify([...shards].map(([path, b]) => ({ type: 'file', path, size: b.byteLength }))));
        return;
      }
      const prefix = '/datasets/BAAI/TACO/resolve/main/';
      const shard = req.url!.startsWith(prefix) ? shards.get(req.url!.slice(prefix.length)) : undefined;
      if (shard) res.end(Buffer.from(shard));
      else res.writeHead(404).end('not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('lists the split shards, downloads them once, and loads them', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'taco-hub-'));
    const paths = await downloadTacoFromHub({ split: 'train', cacheDir, endpoint, token: 'hf_test' });
    expect(paths.map((p) => p.split('/').pop())).toEqual(['train-00000-of-00002.parquet', 'train-00001-of-00002.parquet']);
    expect(requests.filter((r) => r.url.includes('/resolve/'))).toHaveLength(2);
    expect(requests.every((r) => r.auth === 'Bearer hf_test')).toBe(true);
    const { problems, malformed } = await loadTacoFiles(paths);
    expect(malformed).toEqual([]);
    expect(problems).toHaveLength(30);

    const cached: boolean[] = [];
    await downloadTacoFromHub({ split: 'train', cacheDir, endpoint, token: 'hf_test', onFile: (f) => cached.push(f.cached) });
    expect(cached).toEqual([true, true]);
    expect(requests.filter((r) => r.url.includes('/resolve/'))).toHaveLength(2);
  });

  it('offline (HF_HUB_OFFLINE or offline: true) uses only the cache and never the network', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'taco-hub-'));
    const before = requests.length;
    await expect(downloadTacoFromHub({ split: 'train', cacheDir, endpoint, offline: true })).rejects.toThrow(/hub:train is not in the cache .* and HF_HUB_OFFLINE is set/);
    await downloadTacoFromHub({ split: 'train', cacheDir, endpoint });
    const online = requests.length;
    process.env.HF_HUB_OFFLINE = '1';
    try {
      const paths = await downloadTacoFromHub({ split: 'train', cacheDir, endpoint });
      expect(paths.map((p) => p.split('/').pop())).toEqual(['train-00000-of-00002.parquet', 'train-00001-of-00002.parquet']);
    } finally {
      delete process.env.HF_HUB_OFFLINE;
    }
    expect(requests.length).toBe(online);
    expect(online).toBeGreaterThan(before);
  });

  it('names the URL and status when the Hub refuses', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'taco-hub-'));
    await expect(downloadTacoFromHub({ split: 'train', cacheDir, endpoint, repo: 'BAAI/NOPE' })).rejects.toThrow(
      /tree\/main\/ALL: HTTP 404/,
    );
  });
});
