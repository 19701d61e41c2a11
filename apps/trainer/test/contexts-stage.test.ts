// The contexts stage of `codistill run` against a real loopback teacher: a problem left without an
// answer must keep the stage unfinished, so the rerun resumes it instead of skipping it for good; a
// finished stage hands on its result from its marker, checked.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseRunConfig } from '../src/run/config.js';
import { runModels } from '../src/run/run-models.js';
import { runStage, type StageContext } from '../src/run/stage.js';
import { contextsStage } from '../src/run/stages/contexts.js';
import type { DataSummary } from '../src/run/stages/data.js';
import { startFakeTeacher, type FakeTeacher } from '../../../packages/context/test/helpers/fake-teacher.js';

let server: FakeTeacher | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function stageContext(url: string): Promise<StageContext<'data'>> {
  const out = await mkdtemp(path.join(tmpdir(), 'contexts-stage-'));
  const examplesFile = path.join(out, 'examples.jsonl');
  const examples = ['a', 'b', 'c'].map((id) => ({ id, prompt: `Problem ${id}: print the sum of two numbers.`, context: '', code: 'print(sum(map(int, input().split())))', tests: '' }));
  await writeFile(examplesFile, examples.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const config = parseRunConfig({ out, progress: false, teacher: { urls: [url], model: 'teacher', concurrency: 1 } });
  // The stage reads only the examples file of the data stage's result.
  const data = { examplesFile, examples: 3, problems: 3, malformed: 0 } as DataSummary;
  return { config, signal: new AbortController().signal, log: (line) => void logged.push(line), progress: () => ({ update: () => {}, stop: () => {} }), before: { data }, models: runModels(config) };
}

let logged: string[] = [];
beforeEach(() => (logged = []));
const markerOf = (ctx: StageContext<'data'>) => path.join(ctx.config.out, 'contexts/stage.json');

test('a problem without an answer leaves the stage unfinished; the rerun asks it again and finishes', async () => {
  server = await startFakeTeacher({ faults: [{ kind: 'bad-request' }] });
  const ctx = await stageContext(server.url);
  const marker = async () => JSON.parse(await readFile(markerOf(ctx), 'utf8'));

  await expect(runStage(contextsStage, ctx, '')).rejects.toThrow(/^contexts: 1 of 3 problems got no answer from the teacher \(client: HTTP 400.*\); finished rows are kept\. .*rerun to ask them again$/);
  expect((await marker()).status).toBe('running');

  const { summary } = await runStage(contextsStage, ctx, '');
  expect(summary).toMatchObject({ jobs: 3, teacherOk: 3, teacherFailed: 0, examples: 3 });
  expect((await marker()).status).toBe('done');
  expect(server.requests).toHaveLength(4);
});

test('a finished stage hands on the result in its marker; a damaged one is refused, naming the file and field', async () => {
  server = await startFakeTeacher();
  const ctx = await stageContext(server.url);
  const { summary } = await runStage(contextsStage, ctx, '');
  const written = await readFile(markerOf(ctx), 'utf8');

  const again = await runStage(contextsStage, ctx, '');
  expect(logged).toContain('contexts: done earlier, skipped');
  expect(again.summary).toEqual(summary);
  expect(await readFile(markerOf(ctx), 'utf8')).toBe(written);
  expect(server.requests).toHaveLength(3);

  const marker = JSON.parse(written);
  await writeFile(markerOf(ctx), JSON.stringify({ ...marker, summary: { ...marker.summary, trainFile: undefined, examples: '3' } }));
  const damaged = new RegExp(`^${markerOf(ctx)}: summary\\.trainFile: .*; summary\\.examples: .*\\. The file is damaged or from another codistill version: delete ${path.dirname(markerOf(ctx))} and the stages after it`);
  await expect(runStage(contextsStage, ctx, '')).rejects.toThrow(damaged);
  await writeFile(markerOf(ctx), JSON.stringify({ ...marker, status: 'finished' }));
  await expect(runStage(contextsStage, ctx, '')).rejects.toThrow(new RegExp(`^${markerOf(ctx)}: status: `));
});
