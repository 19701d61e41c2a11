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
  for (const file of ['config.json', 'model.safetensors']) fs.copyFileSync(fixture('tiny-llama', file), path.join(snapshot, file));
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

/** HF_* variables the tests set, cleared around each so the machine's own settings do not leak in. */
const HF_VARS = ['HF_HOME', 'HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'XDG_CACHE_HOME', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH', 'HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE', 'HF_ENDPOINT', 'HF_HUB_ETAG_TIMEOUT', 'HF_HUB_DISABLE_IMPLICIT_TOKEN'];
async function withEnv<T>(vars: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const name of HF_VARS) delete process.env[name];
  Object.assign(process.env, vars);
  try {
    return await body();
  } finally {
    process.env = saved;
  }
}

/** A cached snapshot of the tiny Llama as huggingface_hub lays one out, `refs/<ref>` pointing at it; `drop` leaves files out. */
function cacheSnapshot(cacheDir: string, id: string, commit: string, refs: string[] = ['main'], drop: string[] = []): string {
  const repo = path.join(cacheDir, `models--${id.replace('/', '--')}`);
  const snapshot = path.join(repo, 'snapshots', commit);
  fs.mkdirSync(snapshot, { recursive: true });
  for (const file of served.filter((f) => !drop.includes(f))) fs.copyFileSync(fixture('tiny-llama', file), path.join(snapshot, file));
  for (const ref of refs) {
    fs.mkdirSync(path.dirname(path.join(repo, 'refs', ref)), { recursive: true });
    fs.writeFileSync(path.join(repo, 'refs', ref), commit);
  }
  return snapshot;
}

/** A loopback address nothing listens on: connections to it are refused. */
async function deadEndpoint(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

test('the Hub out of reach: the cached snapshot of the revision with a warning; nothing cached is an error naming model, endpoint, cause and HF_HUB_OFFLINE', async () => {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-hub-'));
  const main = cacheSnapshot(cacheDir, 'org/tiny', COMMIT);
  const tagged = cacheSnapshot(cacheDir, 'org/tiny', 'b'.repeat(40), ['v1']);
  const hubUrl = await deadEndpoint();
  const warnings: string[] = [];
  const opts = { cacheDir, hubUrl, onWarning: (m: string) => void warnings.push(m) };
  await withEnv({}, async () => {
    expect(await resolveModel('org/tiny', opts)).toBe(main);
    expect(await resolveModel('org/tiny', { ...opts, revision: 'v1' })).toBe(tagged);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(new RegExp(`^org/tiny: cannot reach the Hub at ${hubUrl} \\(fetch failed: .*ECONNREFUSED.*\\); using the cached snapshot of revision 'main' \\(a{40}\\), which may be out of date\\. Set HF_HUB_OFFLINE=1 to skip the Hub$`));
    expect(warnings[1]).toMatch(/revision 'v1' \(b{40}\)/);
    await expect(resolveModel('org/tiny', { ...opts, revision: 'v2' })).rejects.toThrow(
      new RegExp(`^org/tiny: cannot reach the Hub at ${hubUrl} \\(fetch failed: .*ECONNREFUSED.*\\), and revision 'v2' is not in the cache ${cacheDir}\\. Check the network and HF_ENDPOINT; to work without the Hub, download it where the Hub is reachable \\(\`hf download org/tiny --revision v2\`\\) into this cache and set HF_HUB_OFFLINE=1$`),
    );
    // A network failure that is not a refused connection: undici's cause is named too.
    const fetchFailed = (() => Promise.reject(new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND huggingface.co') }))) as typeof fetch;
    await expect(resolveModel('org/absent', { cacheDir, fetch: fetchFailed })).rejects.toThrow(/^org\/absent: cannot reach the Hub at https:\/\/huggingface\.co \(fetch failed: getaddrinfo ENOTFOUND huggingface\.co\), and revision 'main' is not in the cache/);
  });
});

test('a Hub that answers 5xx or refuses the token falls back to the cache too, as huggingface_hub; uncached, a refusal says which token was sent, never the token', async () => {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-hub-'));
  const hub = await fakeHub();
  const warnings: string[] = [];
  try {
    await withEnv({}, async () => {
      await expect(resolveModel('org/tiny', { cacheDir, hubUrl: hub.url, token: 'hf_secret_wrong' })).rejects.toThrow(
        `org/tiny/config.json: the Hub at ${hub.url} answered 401 (gated, private or not found; token sent: the token option. Accept the licence on the Hub, and set HF_TOKEN or log in with \`hf auth login\`)`,
      );
      const snapshot = cacheSnapshot(cacheDir, 'org/tiny', COMMIT);
      expect(await resolveModel('org/tiny', { cacheDir, hubUrl: hub.url, token: 'hf_secret_wrong', onWarning: (m) => void warnings.push(m) })).toBe(snapshot);
      expect(warnings[0]).toMatch(/^org\/tiny\/config\.json: the Hub at .* answered 401 .*; using the cached snapshot of revision 'main'/);
      expect(warnings.join()).not.toContain('hf_secret_wrong');
    });
  } finally {
    hub.close();
  }
  const down = http.createServer((_req, res) => res.writeHead(503).end());
  await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
  const hubUrl = `http://127.0.0.1:${(down.address() as AddressInfo).port}`;
  try {
    await withEnv({}, async () => {
      expect(await resolveModel('org/tiny', { cacheDir, hubUrl, onWarning: (m) => void warnings.push(m) })).toBe(path.join(cacheDir, 'models--org--tiny', 'snapshots', COMMIT));
      expect(warnings[1]).toMatch(/^org\/tiny\/config\.json: the Hub at .* answered 503; using the cached snapshot of revision 'main'/);
      await expect(resolveModel('org/absent', { cacheDir, hubUrl })).rejects.toThrow(`org/absent/config.json: the Hub at ${hubUrl} answered 503, and revision 'main' is not in the cache ${cacheDir}.`);
    });
  } finally {
    down.close();
  }
});

test("HF_HUB_ETAG_TIMEOUT bounds the Hub's metadata requests: no answer in time is the Hub out of reach", async () => {
  const server = http.createServer(() => undefined); // never answers
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await withEnv({ HF_HUB_ETAG_TIMEOUT: '0.2' }, async () => {
      const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-hub-'));
      await expect(resolveModel('org/tiny', { cacheDir, hubUrl })).rejects.toThrow(`org/tiny: cannot reach the Hub at ${hubUrl} (no answer within 0.2 s (HF_HUB_ETAG_TIMEOUT)), and revision 'main'`);
    });
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test("the token `hf auth login` saved ($HF_HOME/token, HF_TOKEN_PATH) is sent when HF_TOKEN is not set, as huggingface_hub's get_token()", async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-home-'));
  const hub = await fakeHub();
  try {
    fs.writeFileSync(path.join(home, 'token'), `${TOKEN}\n`);
    await withEnv({ HF_HOME: home }, async () => {
      expect(await resolveModel('org/tiny', { hubUrl: hub.url })).toBe(path.join(home, 'hub', 'models--org--tiny', 'snapshots', COMMIT));
    });
    // HF_TOKEN comes first; the refusal names where the token came from.
    await withEnv({ HF_HOME: home, HF_TOKEN: 'hf_from_env' }, async () => {
      const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-hub-'));
      await expect(resolveModel('org/tiny', { cacheDir, hubUrl: hub.url })).rejects.toThrow(/answered 401 \(gated, private or not found; token sent: HF_TOKEN\./);
    });
    const elsewhere = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-token-')), 'my-token');
    fs.writeFileSync(elsewhere, 'hf_other');
    await withEnv({ HF_HOME: home, HF_TOKEN_PATH: elsewhere }, async () => {
      const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-hub-'));
      const error = await resolveModel('org/tiny', { cacheDir, hubUrl: hub.url }).catch((e: Error) => e);
      expect((error as Error).message).toContain(`token sent: ${elsewhere}.`);
      expect((error as Error).message).not.toContain('hf_other');
    });
  } finally {
    hub.close();
  }
});

test('HF_HUB_DISABLE_IMPLICIT_TOKEN on sends only the token option: not HF_TOKEN, HUGGING_FACE_HUB_TOKEN or the token file, as huggingface_hub', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-home-'));
  fs.writeFileSync(path.join(home, 'token'), `${TOKEN}\n`);
  const hub = await fakeHub();
  try {
    for (const vars of [{ HF_TOKEN: TOKEN }, { HUGGING_FACE_HUB_TOKEN: TOKEN }, {}] as Array<Record<string, string>>) {
      await withEnv({ HF_HOME: home, HF_HUB_DISABLE_IMPLICIT_TOKEN: 'true', ...vars }, async () => {
        const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-hub-'));
        const before = hub.requests.length;
        await expect(resolveModel('org/tiny', { cacheDir, hubUrl: hub.url })).rejects.toThrow(
          `org/tiny/config.json: the Hub at ${hub.url} answered 401 (gated, private or not found; token sent: none (HF_HUB_DISABLE_IMPLICIT_TOKEN is on: HF_TOKEN, HUGGING_FACE_HUB_TOKEN and the token file are not sent, only a token passed explicitly).`,
        );
        expect(hub.requests.length).toBe(before + 1);
        expect(await resolveModel('org/tiny', { cacheDir, hubUrl: hub.url, token: TOKEN })).toBe(path.join(cacheDir, 'models--org--tiny', 'snapshots', COMMIT));
      });
    }
    // Off (0, or unset), the implicit token goes as before.
    await withEnv({ HF_HOME: home, HF_HUB_DISABLE_IMPLICIT_TOKEN: '0' }, async () => {
      const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-hub-'));
      expect(await resolveModel('org/tiny', { cacheDir, hubUrl: hub.url })).toBe(path.join(cacheDir, 'models--org--tiny', 'snapshots', COMMIT));
    });
  } finally {
    hub.close();
  }
});

test('TRANSFORMERS_OFFLINE=1 is offline mode too (HF_HUB_OFFLINE decides when set), and the error names the variable', async () => {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-hub-'));
  const snapshot = cacheSnapshot(cacheDir, 'org/tiny', COMMIT);
  const fail = (() => Promise.reject(new Error('the network was used'))) as typeof fetch;
  await withEnv({ TRANSFORMERS_OFFLINE: '1' }, async () => {
    expect(await resolveModel('org/tiny', { cacheDir, fetch: fail })).toBe(snapshot);
    await expect(resolveModel('org/absent', { cacheDir, fetch: fail })).rejects.toThrow(
      `org/absent@main is not in the cache ${cacheDir} and TRANSFORMERS_OFFLINE is set: download it with the Hub reachable: \`hf download org/absent\`, or run once without offline mode`,
    );
  });
  // huggingface_hub reads `HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE`: a set HF_HUB_OFFLINE=0 wins.
  await withEnv({ HF_HUB_OFFLINE: '0', TRANSFORMERS_OFFLINE: '1' }, async () => {
    const warnings: string[] = [];
    expect(await resolveModel('org/tiny', { cacheDir, fetch: fail, onWarning: (m) => void warnings.push(m) })).toBe(snapshot);
    expect(warnings).toEqual([expect.stringMatching(/^org\/tiny: cannot reach the Hub at https:\/\/huggingface\.co \(the network was used\); using the cached snapshot/)]);
  });
});

test('an incomplete cached snapshot names the missing file as transformers does, and what to do', async () => {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-hub-'));
  const snapshot = cacheSnapshot(cacheDir, 'org/sharded', COMMIT, ['main'], ['model.safetensors']);
  fs.writeFileSync(path.join(snapshot, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } }));
  fs.copyFileSync(fixture('tiny-llama', 'model.safetensors'), path.join(snapshot, 'model-00001-of-00002.safetensors'));
  // A snapshot link whose blob is gone counts as missing.
  fs.symlinkSync('../../blobs/gone', path.join(snapshot, 'model-00002-of-00002.safetensors'));
  cacheSnapshot(cacheDir, 'org/confonly', COMMIT, ['main'], served.slice(1));
  await withEnv({ HF_HUB_OFFLINE: '1' }, async () => {
    await expect(resolveModel('org/sharded', { cacheDir })).rejects.toThrow(
      `org/sharded does not appear to have a file named model-00002-of-00002.safetensors: the cached snapshot ${snapshot} lacks it (an interrupted download?), and HF_HUB_OFFLINE is set. To complete it, download it with the Hub reachable: \`hf download org/sharded\`, or run once without offline mode`,
    );
    await expect(resolveModel('org/confonly', { cacheDir })).rejects.toThrow(/^org\/confonly does not appear to have a file named model\.safetensors: the cached snapshot/);
  });
  // The same snapshot when the Hub is out of reach.
  await withEnv({}, async () => {
    await expect(resolveModel('org/confonly', { cacheDir, hubUrl: await deadEndpoint() })).rejects.toThrow(/^org\/confonly does not appear to have a file named model\.safetensors: .*, and org\/confonly: cannot reach the Hub at .*\. To complete it, download it once the Hub is reachable \(`hf download org\/confonly`\)$/);
  });
});

test('a revision is a branch, tag or commit name: nested branch names get nested refs, paths out of the cache are refused', async () => {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-hub-'));
  const hub = await fakeHub();
  try {
    await withEnv({}, async () => {
      const dir = await resolveModel('org/tiny', { cacheDir, hubUrl: hub.url, token: TOKEN, revision: 'refs/pr/1' });
      expect(fs.readFileSync(path.join(cacheDir, 'models--org--tiny', 'refs', 'refs', 'pr', '1'), 'utf8')).toBe(COMMIT);
      expect(hub.requests).toContain('HEAD /org/tiny/resolve/refs%2Fpr%2F1/config.json');
      expect(await resolveModel('org/tiny', { cacheDir, revision: 'refs/pr/1', offline: true })).toBe(dir);
      for (const bad of ['../../x', 'a//b', '']) await expect(resolveModel('org/tiny', { cacheDir, revision: bad, offline: true })).rejects.toThrow(`revision '${bad}' is not a branch, tag or commit name`);
    });
  } finally {
    hub.close();
  }
});
