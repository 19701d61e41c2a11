import path from 'node:path';
import { ensureDir, writeJsonDurable } from '@codistill/util';
import type { Progress } from '../progress.js';
import type { RunConfig } from './config.js';
import { readJsonIfPresent } from './files.js';
import { runStage, type Stage } from './stage.js';
import { contextsStage } from './stages/contexts.js';
import { dataStage } from './stages/data.js';
import { evalStage } from './stages/eval.js';
import { reportStage, runMeta } from './stages/report.js';
import { trainStage } from './stages/train.js';
import { RUN_FILES } from '../report/load.js';

export const STAGES: Stage<unknown>[] = [dataStage, contextsStage, trainStage, evalStage, reportStage];

export interface PipelineOptions {
  signal: AbortSignal;
  log: (line: string) => void;
  progress: (label: string, fields?: string[]) => Progress;
}

/**
 * Runs every stage in order into `config.out`. Finished stages are skipped, an interrupted one
 * resumes; the config is kept as <out>/config.json so the folder says how it was made.
 */
export async function runPipeline(config: RunConfig, opts: PipelineOptions): Promise<Record<string, unknown>> {
  ensureDir(config.out);
  writeJsonDurable(path.join(config.out, 'config.json'), config);
  const before: Record<string, unknown> = {};
  if (!(await readJsonIfPresent(path.join(config.out, RUN_FILES.meta)))) writeJsonDurable(path.join(config.out, RUN_FILES.meta), await runMeta(config, before, false));
  let upstream = '';
  for (const stage of STAGES) {
    const { fingerprint, summary } = await runStage(stage, { config, before, ...opts }, upstream);
    before[stage.name] = summary;
    upstream = fingerprint;
  }
  return before;
}
