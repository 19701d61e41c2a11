import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestContexts } from '@codistill/context';
import { prepareTaco } from '@codistill/data';
import { startServer, type RunningServer } from '@codistill/serve';

// Where @codistill/context's teacher client meets @codistill/serve, as `codistill run` wires them
// when no teacher is configured: the student served as the teacher.
const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tinyLlama = path.join(repoRoot, 'packages/models/test/fixtures/tiny-llama');
const tacoSample = path.join(repoRoot, 'packages/data/samples/taco-sample.jsonl');

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ model: tinyLlama, servedName: 'tiny-llama', port: 0, host: '127.0.0.1', threads: 1, maxTokensLimit: 12 });
});
afterAll(() => server.close());

test("the teacher client records the tiny model's contexts as failed, with a reason", async () => {
  const { pairs } = await prepareTaco([tacoSample]);
  const jobs = pairs.slice(0, 2).map((p) => ({ id: p.id, question: p.prompt, solution: p.code }));
  const outPath = path.join(await mkdtemp(path.join(tmpdir(), 'serve-')), 'contexts.jsonl');
  for (const stream of [false, true]) {
    const summary = await requestContexts(jobs, {
      config: { endpoints: [{ baseURL: server.url, apiKeyEnv: 'CODISTILL_TEST_NO_KEY' }], model: 'tiny-llama', stream, maxTokens: 12, contentRetries: 0 },
      outPath,
      retryFailed: true,
    });
    expect(summary).toMatchObject({ ok: 0, failed: 2, aborted: false });
  }
  const records = (await readFile(outPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  expect(records).toHaveLength(4);
  for (const r of records) {
    expect(r.status).toBe('failed');
    // A TACO question is over a thousand tokens; the tiny model has 128 positions.
    expect(r.reason).toMatch(/^too-long: HTTP 400: .*maximum context length is 128 tokens/);
  }
});
