import { existsSync } from 'node:fs';
import path from 'node:path';
import { requireProvider } from '@codistill/graph';
import { ensureDir, readJsonIfPresent, writeJsonDurable } from '@codistill/util';
import type { Progress } from '../progress.js';
import type { RunConfig } from './config.js';
import { locate } from './paths.js';
import { runStage, stageDone, type Stage, type StageName, type StageResults } from './stage.js';
import { contextsStage } from './stages/contexts.js';
import { dataStage } from './stages/data.js';
import { evalStage } from './stages/eval.js';
import { reportStage, runMeta } from './stages/report.js';
import { trainStage } from './stages/train.js';
import { RUN_FILES } from '../report/load.js';
import { checkRevision } from '../commands/model-flags.js';
import { runModels } from './run-models.js';

export interface PipelineOptions {
  signal: AbortSignal;
  log: (line: string) => void;
  progress: (label: string, fields?: string[]) => Progress;
}

/** A revision of a folder, or of a model the config does not name, is refused (as the CLI's flags are), naming both fields. */
function checkRevisions({ student, student_revision, train }: RunConfig): void {
  const check = (model: string | null, revision: string | null, fields: { model: string; revision: string }) =>
    checkRevision(model && locate(model), revision ?? undefined, { model: `run config: ${fields.model}`, revision: fields.revision });
  check(student, student_revision, { model: 'student', revision: 'student_revision' });
  check(train.codebert, train.codebert_revision, { model: 'train.codebert', revision: 'train.codebert_revision' });
  check(train.adapter_name_or_path, train.adapter_revision, { model: 'train.adapter_name_or_path', revision: 'train.adapter_revision' });
}

/**
 * Runs every stage in order into `config.out`. Finished stages are skipped, an interrupted one
 * resumes; the config is kept as <out>/config.json so the folder says how it was made.
 */
export async function runPipeline(config: RunConfig, opts: PipelineOptions): Promise<StageResults> {
  await checkInputFiles(config, [dataStage, contextsStage, trainStage, evalStage]);
  // A provider that cannot run here (CUDA without an NVIDIA GPU) fails before the run folder is made.
  await requireProvider(config.device, 'run config: device');
  checkRevisions(config);
  ensureDir(config.out);
  // Rewritten only when it changed: a finished run on a read-only copy is shown, not refused.
  const configFile = path.join(config.out, 'config.json');
  const written = await readJsonIfPresent(configFile).catch(() => undefined); // a damaged copy is replaced
  if (JSON.stringify(written) !== JSON.stringify(config)) writeJsonDurable(configFile, config);
  if (!(await readJsonIfPresent(path.join(config.out, RUN_FILES.meta)))) writeJsonDurable(path.join(config.out, RUN_FILES.meta), await runMeta(config, {}, false));
  // Each stage's fingerprint is the next one's upstream input: a changed stage invalidates every later one.
  let upstream = '';
  const models = runModels(config);
  const next = async <Name extends StageName, Needs extends StageName>(stage: Stage<Name, Needs>, before: Pick<StageResults, Needs>) => {
    const { fingerprint, summary } = await runStage(stage, { config, before, models, ...opts }, upstream);
    upstream = fingerprint;
    return summary;
  };
  const data = await next(dataStage, {});
  const contexts = await next(contextsStage, { data });
  const train = await next(trainStage, { contexts });
  const evaluation = await next(evalStage, { train });
  const report = await next(reportStage, { data, contexts });
  return { data, contexts, train, eval: evaluation, report };
}

/** A path to check here: not a Hub split (`hub:train`) or a URL, which their loaders fetch. */
const isLocal = (file: string) => !/^(hub:|[a-z][a-z0-9+.-]*:\/\/)/i.test(file);

/**
 * The files of every stage still to run, checked before the first: a typo in the eval stage's
 * benchmark file would otherwise surface after data, contexts and hours of training.
 */
async function checkInputFiles(config: RunConfig, stages: Array<Stage<StageName, StageName>>): Promise<void> {
  const missing: string[] = [];
  for (const stage of stages) {
    if (!stage.files || (await stageDone(config.out, stage.name))) continue;
    for (const [field, file] of stage.files(config)) if (file && isLocal(file) && !existsSync(locate(file))) missing.push(`${field}: ${file} does not exist`);
  }
  if (missing.length) throw new Error(`run config: ${missing.join('; ')}`);
}
