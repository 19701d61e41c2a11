// The contexts stage of `codistill run` against a real loopback teacher: a problem left without an
// answer must keep the stage unfinished, so the rerun resumes it instead of skipping it for good.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseRunConfig } from '../src/run/config.js';
import { runStage, type StageContext } from '../src/run/stage.js';
import { contextsStage } from '../src/run/stages/contexts.js';
import { startFakeTeacher, type FakeTeacher } from '../../../packages/context/test/helpers/fake-teacher.js';

let server: FakeTeacher | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function stageContext(url: string): Promise<StageContext> {
  const out = await mkdtemp(path.join(tmpdir(), 'contexts-stage-'));
  const examplesFile = path.join(out, 'examples.jsonl');
  const examples = ['a', 'b', 'c'].map((id) => ({ id, prompt: `Problem ${id}: print the sum of two numbers.`, context: '', code: 'print(sum(map(int, input().split())))', tests: '' }));
  await writeFile(examplesFile, examples.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const config = parseRunConfig({ out, progress: false, teacher: { urls: [url], model: 'teacher', concurrency: 1 } });
  return { config, signal: new AbortController().signal, log: () => {}, progress: () => ({ update: () => {}, stop: () => {} }), before: { data: { examplesFile } } };
}

test('a problem without an answer leaves the stage unfinished; the rerun asks it again and finishes', async () => {
  server = await startFakeTeacher({ faults: [{ kind: 'bad-request' }] });
  const ctx = await stageContext(server.url);
  const marker = async () => JSON.parse(await readFile(path.join(ctx.config.out, 'contexts/stage.json'), 'utf8'));

  await expect(runStage(contextsStage, ctx, '')).rejects.toThrow(/^contexts: 1 of 3 problems got no answer from the teacher \(client: HTTP 400.*\); finished rows are kept\. .*rerun to ask them again$/);
  expect((await marker()).status).toBe('running');

  const { summary } = await runStage(contextsStage, ctx, '');
  expect(summary).toMatchObject({ jobs: 3, teacherOk: 3, teacherFailed: 0, examples: 3 });
  expect((await marker()).status).toBe('done');
  expect(server.requests).toHaveLength(4);
});
