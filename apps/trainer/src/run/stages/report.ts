import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { writeJsonDurable } from '@codistill/util';
import { z } from 'zod';
import { loadRunReport, RUN_FILES, writeReport, type ReportFiles, type RunMeta } from '../../report/index.js';
import type { RunConfig } from '../config.js';
import { readPins, type ModelPins } from '../run-models.js';
import { findUp } from '../paths.js';
import { stageStartedAt, type Stage, type StageResults } from '../stage.js';

function versions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const app = findUp('package.json');
  return {
    codistill: app ? (JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8')) as { version: string }).version : 'unknown',
    node: process.version,
    'onnxruntime-node': (require('onnxruntime-node/package.json') as { version: string }).version,
  };
}

/** run.json: what the report prints about the run; parts not known yet (before the later stages) are left out. */
export async function runMeta(config: RunConfig, before: Partial<Pick<StageResults, 'data' | 'contexts'>>, finished: boolean): Promise<RunMeta> {
  const { data, contexts } = before;
  const dataSizes: Record<string, number> = {};
  if (data) Object.assign(dataSizes, { 'TACO problems read': data.problems, 'pairs selected': data.examples });
  if (contexts) dataSizes['training examples'] = contexts.examples;
  const notes: string[] = [];
  if (config.student === 'packages/models/test/fixtures/tiny-llama') notes.push('The built-in tiny run: a random 2-layer model shows that every stage works, not model quality.');
  if (contexts && contexts.teacherOk === 0) notes.push(`Training contexts: ${contexts.source}.`);
  const pins = (await readPins(config.out)) ?? {};
  const named = (id: string, pin: ModelPins[keyof ModelPins]) => (pin ? `${id} (${pin.revision === pin.commit ? '' : `${pin.revision}, `}commit ${pin.commit})` : id);
  return {
    student: named(config.student, pins.student),
    teacher: contexts?.teacher ?? (config.teacher.urls ? `${config.teacher.model} at ${config.teacher.urls.join(', ')}` : 'the student, served by codistill serve'),
    codebert: config.train.codebert ? named(config.train.codebert, pins.codebert) : undefined,
    contexts: contexts?.source,
    dataSizes,
    seeds: { data: config.data.seed, train: config.train.seed },
    compute: `${config.device}, base model in ${config.train.bf16 ? 'bfloat16' : config.train.fp16 ? 'float16' : 'float32'}${config.device === 'cpu' && (config.train.bf16 || config.train.fp16) ? ' (given; the CPU computes in float32)' : ''}`,
    versions: versions(),
    startedAt: (await stageStartedAt(config.out, 'data')) ?? new Date().toISOString(),
    finishedAt: finished ? new Date().toISOString() : undefined,
    notes,
  };
}

/** run.json with the finished run's metadata, then report/report.json and report/report.html. */
export const reportStage: Stage<'report', 'data' | 'contexts'> = {
  name: 'report',
  result: z.object({ json: z.string(), html: z.string() }) satisfies z.ZodType<ReportFiles>,
  inputs: () => ({}),
  async run(ctx) {
    const { config } = ctx;
    writeJsonDurable(path.join(config.out, RUN_FILES.meta), await runMeta(config, ctx.before, true));
    const written = await writeReport(path.join(config.out, RUN_FILES.reportDir), await loadRunReport(config.out));
    ctx.log(`report: ${written.html}`);
    return written;
  },
};
