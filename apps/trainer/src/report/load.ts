import { existsSync } from 'node:fs';
import path from 'node:path';
import { readJsonIfPresent as readJson, readJsonl } from '@codistill/util';
import { unfinishedStages } from '../run/stage.js';
import type { ReportData, RunMeta } from './data.js';

/** A run folder's files, relative to the folder: what `codistill run` writes and `report --run` reads. */
export const RUN_FILES = {
  meta: 'run.json',
  trainLog: 'train/train_log.jsonl',
  /** { passAt1: [...], codebleu: {...} } as in ReportData. */
  evalSummary: 'eval/summary.json',
  /** { questionPerplexity: {...}, tokenPerplexity: {...} } as in ReportData. */
  perplexity: 'eval/perplexity.json',
  reportDir: 'report',
} as const;

/** Builds the report data from a run folder; absent eval files leave their sections empty. */
export async function loadRunReport(dir: string): Promise<ReportData> {
  const metaFile = path.join(dir, RUN_FILES.meta);
  const meta = await readJson<RunMeta>(metaFile);
  if (!meta) throw new Error(`${metaFile}: missing (is ${dir} a codistill run folder?)`);
  const logFile = path.join(dir, RUN_FILES.trainLog);
  // A torn last line is a run cut mid-write and is skipped; anywhere else it is an error naming the line.
  const trainLog = existsSync(logFile) ? [...readJsonl<ReportData['trainLog'][number]>(logFile)].map((r) => r.value) : [];
  const summary = await readJson<Pick<ReportData, 'passAt1' | 'codebleu'>>(path.join(dir, RUN_FILES.evalSummary));
  const ppl = await readJson<Pick<ReportData, 'questionPerplexity' | 'tokenPerplexity'>>(path.join(dir, RUN_FILES.perplexity));
  // The report stage marks the run finished in run.json before it loads this.
  const unfinished = meta.finishedAt ? undefined : await unfinishedStages(dir);
  return { meta, ...(unfinished ? { unfinished } : {}), passAt1: summary?.passAt1 ?? [], codebleu: summary?.codebleu, trainLog, ...ppl };
}
