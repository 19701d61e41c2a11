import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { downloadFileToCacheDir, scanCacheDir, snapshotDownload } from '@huggingface/hub';
import { downloadTacoFromHub, loadTacoFiles, prepareTaco } from '../src/taco/index.js';
import { writeStringParquet } from './fixtures/taco/write-parquet.js';

const SAMPLE = fileURLToPath(new URL('../samples/taco-sample.jsonl', import.meta.url));
const COMMIT = 'c0ffee'.padEnd(40, '0');
const TRAIN = ['train-00000-of-00002.parquet', 'train-00001-of-00002.parquet'];
/** Every variable that moves the Hub cache, endpoint, token or offline switch; cleared so the host's never leak in. */
const HF_VARS = ['HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_HOME', 'XDG_CACHE_HOME', 'HF_ENDPOINT', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH', 'HF_HUB_DISABLE_IMPLICIT_TOKEN', 'HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE'];

const temps: string[] = [];
const tempDir = () => {
  temps.push(mkdtempSync(join(tmpdir(), 'taco-hub-')));
  return temps[temps.length - 1];
};
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Every path under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('downloadTacoFromHub (loopback Hub)', () => {
  let server: Server;
  let endpoint: string;
  const requests: Array<{ url: string; auth?: string }> = [];
  const shards = new Map<string, Uint8Array>();
  /** How the next download of a shard goes wrong: the connection cut mid-body, or other bytes than listed. */
  const sabotage = new Map<string, 'cut' | 'corrupt'>();
  const saved = new Map<string, string | undefined>();
  const resolves = () => requests.filter((r) => r.url.includes('/resolve/')).length;

  beforeAll(async () => {
    for (const name of HF_VARS) saved.set(name, process.env[name]);
    for (const name of HF_VARS) delete process.env[name];
    // Whatever a test forgets to pass, the default cache is a temp folder, never ~/.cache, and HF_HOME an empty one (no token file).
    process.env.HF_HUB_CACHE = tempDir();
    process.env.HF_HOME = tempDir();

    const rows = (await readFile(SAMPLE, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const columns = ['question', 'solutions', 'starter_code', 'input_output', 'difficulty', 'source', 'name', 'url'];
    const asStrings = rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? ''])));
    shards.set('ALL/train-00000-of-00002.parquet', writeStringParquet(asStrings.slice(0, 20), columns));
    shards.set('ALL/train-00001-of-00002.parquet', writeStringParquet(asStrings.slice(20), columns));
    shards.set('ALL/test-00000-of-00001.parquet', writeStringParquet(asStrings.slice(0, 2), columns));

    // The Hub's API as @huggingface/hub speaks it: revision info, tree listing, resolve (a 1-byte range probe, then the body).
    server = createServer((req, res) => {
      requests.push({ url: req.url!, auth: req.headers.authorization });
      const url = new URL(req.url!, 'http://hub');
      const notFound = () => res.writeHead(404, { 'content-type': 'application/json', 'x-error-code': 'RepoNotFound' }).end('{"error":"Repository not found"}');
      if (req.headers.authorization === 'Bearer hf_wrong') return res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"Invalid credentials"}');
      // A gated repo: refused without a token (with one, it does not exist here).
      if (url.pathname.includes('/BAAI/GATED/') && !req.headers.authorization) return res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"Access to dataset BAAI/GATED is restricted"}');
      let m = /^\/api\/datasets\/BAAI\/TACO\/revision\/([^/]+)$/.exec(url.pathname);
      if (m) {
        if (m[1] !== 'main' && m[1] !== COMMIT) return notFound();
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ _id: '1', id: 'BAAI/TACO', sha: COMMIT }));
      }
      const entries = [...shards].map(([path, b]) => ({ type: 'file', path, size: b.byteLength, oid: sha256(b).slice(0, 40), lfs: { oid: sha256(b), size: b.byteLength, pointerSize: 134 } }));
      if (url.pathname === `/api/datasets/BAAI/TACO/tree/${COMMIT}/ALL`) return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(entries));
      if (url.pathname === `/api/datasets/BAAI/TACO/tree/${COMMIT}`) {
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([{ type: 'directory', path: 'ALL', size: 0, oid: '0'.repeat(40) }, ...entries]));
      }
      if (req.method === 'POST' && url.pathname === `/api/datasets/BAAI/TACO/paths-info/${COMMIT}`) {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          const wanted = (JSON.parse(body) as { paths: string[] }).paths;
          const found = entries.filter((e) => wanted.includes(e.path)).map((e) => ({ ...e, lastCommit: { id: COMMIT, title: 'x', date: '2024-01-01' } }));
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(found));
        });
        return;
      }
      m = /^\/datasets\/BAAI\/TACO\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
      const shard = m && m[1] === COMMIT ? shards.get(m[2]) : undefined;
      if (!m || !shard) return res.writeHead(404, { 'x-error-code': 'EntryNotFound' }).end('not found');
      const headers = { etag: `"${sha256(shard)}"`, 'x-repo-commit': COMMIT, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
      if (req.headers.range === 'bytes=0-0') return res.writeHead(206, { ...headers, 'content-range': `bytes 0-0/${shard.byteLength}` }).end(Buffer.from(shard.subarray(0, 1)));
      const mode = sabotage.get(m[2]);
      sabotage.delete(m[2]);
      res.writeHead(200, { ...headers, 'content-length': shard.byteLength });
      if (mode === 'cut') {
        res.write(Buffer.from(shard.subarray(0, shard.byteLength >> 1)), () => res.socket?.destroy());
        return;
      }
      const body = Buffer.from(shard);
      if (mode === 'corrupt') body[body.length >> 1] ^= 0xff;
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  });

  it('lands the shards in the Hugging Face cache layout under HF_HUB_CACHE, once, and loads them', async () => {
    const cache = tempDir();
    process.env.HF_HUB_CACHE = cache;
    const before = requests.length;
    const paths = await downloadTacoFromHub({ split: 'train', endpoint, token: 'hf_test' });

    const repoDir = join(cache, 'datasets--BAAI--TACO');
    expect(paths).toEqual(TRAIN.map((name) => join(repoDir, 'snapshots', COMMIT, 'ALL', name)));
    expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(COMMIT);
    for (const name of TRAIN) {
      const bytes = shards.get(`ALL/${name}`)!;
      const pointer = join(repoDir, 'snapshots', COMMIT, 'ALL', name);
      // As huggingface_hub makes them: a relative symlink into blobs/, named by the file's sha256.
      expect(lstatSync(pointer).isSymbolicLink()).toBe(true);
      expect(readlinkSync(pointer)).toBe(join('..', '..', '..', 'blobs', sha256(bytes)));
      expect(new Uint8Array(readFileSync(join(repoDir, 'blobs', sha256(bytes))))).toEqual(bytes);
    }
    expect(tree(repoDir).filter((p) => /incomplete|\.tmp$/.test(p))).toEqual([]);
    expect(resolves()).toBe(4); // a range probe and the body per shard
    expect(requests.slice(before).every((r) => r.auth === 'Bearer hf_test')).toBe(true);
    const { problems, malformed } = await loadTacoFiles(paths);
    expect(malformed).toEqual([]);
    expect(problems).toHaveLength(30);

    // Again: one request (what main points to now), no transfer.
    const again = requests.length;
    const cached: boolean[] = [];
    expect(await downloadTacoFromHub({ split: 'train', endpoint, token: 'hf_test', onFile: (f) => cached.push(f.cached) })).toEqual(paths);
    expect(cached).toEqual([true, true]);
    expect(requests.slice(again).map((r) => r.url.split('?')[0])).toEqual(['/api/datasets/BAAI/TACO/revision/main']);

    // A pinned commit that is cached needs no network at all.
    const pinned = requests.length;
    expect(await downloadTacoFromHub({ split: 'train', endpoint, revision: COMMIT })).toEqual(paths);
    expect(requests.length).toBe(pinned);
  });

  it('takes the cache from $HF_HOME/hub and the Hub from HF_ENDPOINT and HF_TOKEN (prepareTaco hub:test)', async () => {
    const home = tempDir();
    delete process.env.HF_HUB_CACHE;
    process.env.HF_HOME = home;
    process.env.HF_ENDPOINT = endpoint;
    process.env.HF_TOKEN = 'hf_env';
    const before = requests.length;
    try {
      const downloads: string[] = [];
      const prepared = await prepareTaco(['hub:test'], { onDownload: (f) => downloads.push(f) });
      expect(prepared.files).toEqual([join(home, 'hub', 'datasets--BAAI--TACO', 'snapshots', COMMIT, 'ALL', 'test-00000-of-00001.parquet')]);
      expect(downloads).toEqual(prepared.files);
      expect(prepared.problems).toHaveLength(2);
      expect(requests.length).toBeGreaterThan(before);
      expect(requests.slice(before).every((r) => r.auth === 'Bearer hf_env')).toBe(true);
    } finally {
      process.env.HF_HUB_CACHE = tempDir();
      process.env.HF_HOME = tempDir();
      for (const name of ['HF_ENDPOINT', 'HF_TOKEN']) delete process.env[name];
    }
  });

  it('offline (HF_HUB_OFFLINE or offline: true) uses only the cache, never the network, and names what is missing', async () => {
    const cacheDir = tempDir();
    const before = requests.length;
    const empty = downloadTacoFromHub({ split: 'train', cacheDir, endpoint, offline: true });
    await expect(empty).rejects.toThrow(/hub:train is not in the cache .*datasets--BAAI--TACO and offline mode is on \(HF_HUB_OFFLINE\): missing ALL\/train-\*\.parquet of dataset BAAI\/TACO at revision main/);
    await expect(empty).rejects.toThrow(/hf download BAAI\/TACO --repo-type dataset --include 'ALL\/train-\*\.parquet' --cache-dir /);
    expect(requests.length).toBe(before);

    const online = await downloadTacoFromHub({ split: 'train', cacheDir, endpoint });
    const afterDownload = requests.length;
    process.env.HF_HUB_OFFLINE = '1';
    try {
      expect(await downloadTacoFromHub({ split: 'train', cacheDir, endpoint })).toEqual(online);
      // The test split was never fetched: offline says so rather than returning the train shards.
      await expect(downloadTacoFromHub({ split: 'test', cacheDir, endpoint })).rejects.toThrow(/missing ALL\/test-\*\.parquet/);
    } finally {
      delete process.env.HF_HUB_OFFLINE;
    }
    expect(requests.length).toBe(afterDownload);
  });

  it.each(['cut', 'corrupt'] as const)('an interrupted or wrong download (%s) leaves nothing that looks cached', async (mode) => {
    const cacheDir = tempDir();
    const repoDir = join(cacheDir, 'datasets--BAAI--TACO');
    const second = shards.get('ALL/train-00001-of-00002.parquet')!;
    sabotage.set('ALL/train-00001-of-00002.parquet', mode);
    await expect(downloadTacoFromHub({ split: 'train', cacheDir, endpoint })).rejects.toThrow(
      mode === 'cut' ? /train-00001-of-00002\.parquet .*failed \(nothing was cached\)/ : /train-00001-of-00002\.parquet .*sha256 differs/,
    );
    // The first shard is complete and kept; of the second there is no blob, no link and no partial file.
    expect(tree(repoDir)).toEqual(
      ['blobs', `blobs/${sha256(shards.get('ALL/train-00000-of-00002.parquet')!)}`, 'refs', 'refs/main', 'snapshots', `snapshots/${COMMIT}`, `snapshots/${COMMIT}/ALL`, `snapshots/${COMMIT}/ALL/${TRAIN[0]}`],
    );
    expect(existsSync(join(repoDir, 'blobs', sha256(second)))).toBe(false);
    // Offline names exactly the missing shard.
    await expect(downloadTacoFromHub({ split: 'train', cacheDir, endpoint, offline: true })).rejects.toThrow(
      /missing ALL\/train-00001-of-00002\.parquet of dataset BAAI\/TACO at revision main \(c0ffee0+\)\./,
    );

    // Online again: only the missing shard is fetched.
    const before = resolves();
    const files: Array<{ name?: string; cached: boolean }> = [];
    const paths = await downloadTacoFromHub({ split: 'train', cacheDir, endpoint, onFile: (f) => files.push({ name: f.path.split('/').pop(), cached: f.cached }) });
    expect(files).toEqual([{ name: TRAIN[0], cached: true }, { name: TRAIN[1], cached: false }]);
    expect(resolves() - before).toBe(2);
    expect(new Uint8Array(readFileSync(paths[1]))).toEqual(second);
    expect(relative(repoDir, paths[1])).toBe(join('snapshots', COMMIT, 'ALL', TRAIN[1]));
  });

  it('uses the cache when the Hub cannot be reached, and says so when the cache lacks the files', async () => {
    const cacheDir = tempDir();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    await expect(downloadTacoFromHub({ split: 'train', cacheDir, endpoint: dead })).rejects.toThrow(
      /cannot reach the Hub at http:\/\/127\.0\.0\.1:\d+ \(fetch failed: ECONNREFUSED\), and hub:train is not in the cache .*: missing ALL\/train-\*\.parquet/,
    );
    const paths = await downloadTacoFromHub({ split: 'train', cacheDir, endpoint });
    expect(await downloadTacoFromHub({ split: 'train', cacheDir, endpoint: dead })).toEqual(paths);
  });

  it("shares the cache with huggingface_hub's layout both ways (checked with @huggingface/hub's own cache functions)", async () => {
    // What another client (here @huggingface/hub's snapshotDownload, which writes huggingface_hub's layout) left is used offline.
    const theirs = tempDir();
    const debug = console.debug; // it announces each download there
    console.debug = () => undefined;
    try {
      await snapshotDownload({ repo: { type: 'dataset', name: 'BAAI/TACO' }, cacheDir: theirs, hubUrl: endpoint });
    } finally {
      console.debug = debug;
    }
    const before = requests.length;
    const paths = await downloadTacoFromHub({ split: 'train', cacheDir: theirs, endpoint, offline: true });
    expect(paths).toEqual(TRAIN.map((name) => join(theirs, 'datasets--BAAI--TACO', 'snapshots', COMMIT, 'ALL', name)));
    expect(requests.length).toBe(before);

    // And what this downloads, the library's cache scan (its scan_cache_dir) reads as the dataset at main, and its
    // downloadFileToCacheDir finds each shard there without asking the Hub.
    const ours = tempDir();
    const mine = await downloadTacoFromHub({ split: 'train', cacheDir: ours, endpoint });
    const scan = await scanCacheDir(ours);
    expect(scan.warnings).toEqual([]);
    expect(scan.repos.map((r) => [r.id, r.revisions.map((rev) => [rev.commitOid, rev.refs])])).toEqual([[{ type: 'dataset', name: 'BAAI/TACO' }, [[COMMIT, ['main']]]]]);
    const quiet = requests.length;
    for (const [i, name] of TRAIN.entries()) {
      expect(await downloadFileToCacheDir({ repo: { type: 'dataset', name: 'BAAI/TACO' }, path: `ALL/${name}`, revision: COMMIT, cacheDir: ours, hubUrl: endpoint })).toBe(mine[i]);
    }
    expect(requests.length).toBe(quiet);
  });

  it('names the repository, URL and status when the Hub refuses', async () => {
    const cacheDir = tempDir();
    await expect(downloadTacoFromHub({ split: 'train', cacheDir, endpoint, repo: 'BAAI/NOPE' })).rejects.toThrow(
      /BAAI\/NOPE@main: the Hub answered HTTP 404 for http:.*\/api\/datasets\/BAAI\/NOPE\/revision\/main.* \(wrong repository, revision or path\?\)/,
    );
    await expect(downloadTacoFromHub({ split: 'train', cacheDir, endpoint, token: 'hf_wrong' })).rejects.toThrow(
      /HTTP 401 for http:.* \(gated, private or not found; token sent: the token option\. Check the name, accept the dataset terms on the Hub, and set HF_TOKEN or log in with `hf auth login`\)$/,
    );
    await expect(downloadTacoFromHub({ split: 'train', cacheDir, endpoint, token: 'not-a-token' })).rejects.toThrow(/the token option is not a Hugging Face access token \(those start with hf_\)/);
    expect(tree(cacheDir)).toEqual([]);
  });

  /** A download's requests with `vars` set (restored after), each one's authorization header. */
  async function authSent(vars: Record<string, string>, token?: string): Promise<Array<string | undefined>> {
    const before = requests.length;
    const home = process.env.HF_HOME;
    Object.assign(process.env, vars);
    try {
      await downloadTacoFromHub({ split: 'test', cacheDir: tempDir(), endpoint, token });
    } finally {
      for (const name of Object.keys(vars)) delete process.env[name];
      process.env.HF_HOME = home;
    }
    return [...new Set(requests.slice(before).map((r) => r.auth))];
  }
  it("finds the token as huggingface_hub's get_token() and @codistill/models do: the option, HF_TOKEN, HUGGING_FACE_HUB_TOKEN, then the `hf auth login` file", async () => {
    const login = tempDir();
    writeFileSync(join(login, 'token'), 'hf_file\n');
    expect(await authSent({ HF_HOME: login })).toEqual(['Bearer hf_file']);
    const elsewhere = join(tempDir(), 'my-token');
    writeFileSync(elsewhere, 'hf_path');
    expect(await authSent({ HF_HOME: login, HF_TOKEN_PATH: elsewhere })).toEqual(['Bearer hf_path']);
    expect(await authSent({ HF_HOME: login, HUGGING_FACE_HUB_TOKEN: 'hf_old' })).toEqual(['Bearer hf_old']);
    expect(await authSent({ HF_HOME: login, HUGGING_FACE_HUB_TOKEN: 'hf_old', HF_TOKEN: 'hf_env' })).toEqual(['Bearer hf_env']);
    expect(await authSent({ HF_HOME: login, HF_TOKEN: 'hf_env' }, 'hf_option')).toEqual(['Bearer hf_option']);
    expect(await authSent({})).toEqual([undefined]);

    // What is not a Hugging Face token is refused before any request, naming where it came from (never the token).
    const before = requests.length;
    const refused = (vars: Record<string, string>) => authSent(vars).catch((e: Error) => e.message);
    expect(await refused({ HF_TOKEN: 'secret-env' })).toBe('HF_TOKEN is not a Hugging Face access token (those start with hf_)');
    expect(await refused({ HUGGING_FACE_HUB_TOKEN: 'secret-old' })).toBe('HUGGING_FACE_HUB_TOKEN is not a Hugging Face access token (those start with hf_)');
    writeFileSync(elsewhere, 'secret-file');
    expect(await refused({ HF_TOKEN_PATH: elsewhere })).toBe(`the token file ${elsewhere} (hf auth login) is not a Hugging Face access token (those start with hf_)`);
    expect(requests.length).toBe(before);

    // A refusal says which token was sent.
    await expect(authSent({ HF_HOME: login, HF_TOKEN: 'hf_wrong' })).rejects.toThrow(/HTTP 401 .*token sent: HF_TOKEN\. /);
    writeFileSync(elsewhere, 'hf_wrong');
    await expect(authSent({ HF_TOKEN_PATH: elsewhere })).rejects.toThrow(`token sent: ${elsewhere}. `);
  });

  it('HF_HUB_DISABLE_IMPLICIT_TOKEN on sends only the token option: not HF_TOKEN, HUGGING_FACE_HUB_TOKEN or the token file, as huggingface_hub', async () => {
    const login = tempDir();
    writeFileSync(join(login, 'token'), 'hf_file\n');
    for (const on of ['1', 'TRUE', 'yes', 'On']) {
      const off = { HF_HOME: login, HF_HUB_DISABLE_IMPLICIT_TOKEN: on };
      expect(await authSent(off)).toEqual([undefined]);
      expect(await authSent({ ...off, HF_TOKEN: 'hf_env' })).toEqual([undefined]);
      expect(await authSent({ ...off, HUGGING_FACE_HUB_TOKEN: 'hf_old' })).toEqual([undefined]);
      expect(await authSent({ ...off, HF_TOKEN: 'hf_env' }, 'hf_option')).toEqual(['Bearer hf_option']);
      // A token that is not sent is not checked either.
      expect(await authSent({ ...off, HF_TOKEN: 'not-a-token' })).toEqual([undefined]);
    }
    expect(await authSent({ HF_HOME: login, HF_HUB_DISABLE_IMPLICIT_TOKEN: '0', HF_TOKEN: 'hf_env' })).toEqual(['Bearer hf_env']);
    // A gated repo's refusal says why no token went.
    Object.assign(process.env, { HF_HUB_DISABLE_IMPLICIT_TOKEN: '1', HF_TOKEN: 'hf_env' });
    try {
      await expect(downloadTacoFromHub({ split: 'test', cacheDir: tempDir(), endpoint, repo: 'BAAI/GATED' })).rejects.toThrow(
        /^BAAI\/GATED@main: the Hub answered HTTP 401 for .* \(gated, private or not found; token sent: none \(HF_HUB_DISABLE_IMPLICIT_TOKEN is on: HF_TOKEN, HUGGING_FACE_HUB_TOKEN and the token file are not sent, only a token passed explicitly\)\. Check the name/,
      );
      expect(await downloadTacoFromHub({ split: 'test', cacheDir: tempDir(), endpoint, token: 'hf_option', repo: 'BAAI/GATED' }).catch((e: Error) => e.message)).toMatch(/BAAI\/GATED@main: the Hub answered HTTP 404/);
    } finally {
      delete process.env.HF_HUB_DISABLE_IMPLICIT_TOKEN;
      delete process.env.HF_TOKEN;
    }
  });
});
