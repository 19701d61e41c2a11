import { Runner } from '@codistill/graph';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildCausalLm, Checkpoint, loadSafetensors, resolveModel, resolveRepo } from '../src/index.js';
import { fixture, ones, relativeError, run } from './helpers.js';

const COMMIT = 'a'.repeat(40);
const TOKEN = 'hf_test';
const served = ['config.json', 'generation_config.json', 'tokenizer.json', 'model.safetensors'];

/** A loopback server speaking the Hub's resolve API for one gated repo, with a CDN redirect. */
function fakeHub(): Promise<{ url: string; requests: string[]; close: () => void }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const cdn = req.url!.match(/^\/cdn\/(.+)$/);
    if (cdn) return res.end(fs.readFileSync(fixture('tiny-llama', cdn[1])));
    const m = req.url!.match(/^\/org\/tiny\/resolve\/([^/]+)\/(.+)$/);
    if (!m) return res.writeHead(404).end();
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return res.writeHead(401).end();
    if (!served.includes(m[2])) return res.writeHead(404).end();
    const etag = crypto.createHash('sha256').update(m[2]).digest('hex');
    res.writeHead(302, { location: `/cdn/${m[2]}`, 'x-repo-commit': COMMIT, 'x-linked-etag': `"${etag}"` }).end();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, requests, close: () => server.close() });
    }),
  );
}

test('download into the Hugging Face cache layout, then resolve offline from it', async () => {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-hub-'));
  const hub = await fakeHub();
  try {
    await expect(resolveModel('org/tiny', { cacheDir, hubUrl: hub.url, token: 'wrong' })).rejects.toThrow(/401.*HF_TOKEN/);
    const dir = await resolveModel('org/tiny', { cacheDir, hubUrl: hub.url, token: TOKEN, offline: false });
    expect(dir).toBe(path.join(cacheDir, 'models--org--tiny', 'snapshots', COMMIT));
    expect(fs.readFileSync(path.join(cacheDir, 'models--org--tiny', 'refs', 'main'), 'utf8')).toBe(COMMIT);
    expect(fs.lstatSync(path.join(dir, 'model.safetensors')).isSymbolicLink()).toBe(true);
    expect(fs.existsSync(path.join(dir, 'tokenizer_config.json'))).toBe(false); // 404 on optional files is fine

    // Snapshot files are symlinks into blobs/: external data must point there for ONNX Runtime.
    const ckpt = new Checkpoint(dir);
    expect(ckpt.externalDataDir).toBe(fs.realpathSync(path.join(cacheDir, 'models--org--tiny', 'blobs')));
    const session = await Runner.create(buildCausalLm(ckpt).toModel(), { externalDataDir: ckpt.externalDataDir, threads: 1 });
    const ref = loadSafetensors(fixture('tiny-llama', 'ref.safetensors'));
    const out = await run(session, { input_ids: ref.input_ids, attention_mask: ones(ref.input_ids.dims) });
    expect(relativeError(out.logits.data as Float32Array, ref.logits.data as Float32Array)).toBeLessThan(1e-4);
    await session.release();

    const before = hub.requests.length;
    expect(await resolveModel('org/tiny', { cacheDir, offline: true })).toBe(dir);
    expect(hub.requests.length).toBe(before);
  } finally {
    hub.close();
  }
});

test('resolveRepo: a repo of another kind fetches its required files (a missing one named) and is found in the cache by the first', async () => {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-hub-'));
  const hub = await fakeHub();
  const opts = { cacheDir, hubUrl: hub.url, token: TOKEN, offline: false };
  try {
    const files = { kind: 'tokenizer repo', required: ['tokenizer.json', 'config.json'], optional: ['absent.json'] };
    const dir = await resolveRepo('org/tiny', files, opts);
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'tokenizer.json']);
    expect(await resolveRepo('org/tiny', files, { cacheDir, offline: true })).toBe(dir);
    await expect(resolveRepo('org/tiny', { ...files, required: ['tokenizer.json', 'absent.bin'] }, opts)).rejects.toThrow(/org\/tiny@a{40}: absent\.bin is missing/);
    await expect(resolveRepo('org/tiny', { ...files, required: ['adapter_config.json'] }, opts)).rejects.toThrow(/no adapter_config\.json at revision 'main' \(wrong id or revision, or not a tokenizer repo\?\)/);
    // A cached snapshot without the marker file is not one of this kind.
    await expect(resolveRepo('org/tiny', { ...files, required: ['adapter_config.json'] }, { cacheDir, offline: true })).rejects.toThrow(/not in the cache/);
  } finally {
    hub.close();
  }
});

test('offline via HF_HUB_OFFLINE and HF_HOME, local folders as given, clear errors', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-home-'));
  const snapshot = path.join(home, 'hub', 'models--org--cached', 'snapshots', COMMIT);
  fs.mkdirSync(snapshot, { recursive: true });
  fs.copyFileSync(fixture('tiny-llama', 'config.json'), path.join(snapshot, 'config.json'));
  fs.mkdirSync(path.join(home, 'hub', 'models--org--cached', 'refs'));
  fs.writeFileSync(path.join(home, 'hub', 'models--org--cached', 'refs', 'main'), COMMIT);
  const saved = { ...process.env };
  try {
    process.env.HF_HOME = home;
    delete process.env.HF_HUB_CACHE;
    delete process.env.HUGGINGFACE_HUB_CACHE;
    process.env.HF_HUB_OFFLINE = '1';
    expect(await resolveModel('org/cached')).toBe(snapshot);
    expect(await resolveModel('org/cached', { revision: COMMIT })).toBe(snapshot);
    await expect(resolveModel('org/absent')).rejects.toThrow(/not in the cache .*HF_HUB_OFFLINE/);
    expect(await resolveModel(fixture('tiny-llama'))).toBe(fixture('tiny-llama'));
    await expect(resolveModel('not a model')).rejects.toThrow(/neither a folder nor a Hub model id/);
  } finally {
    process.env = saved;
  }
});
