import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Comparison } from '@codistill/compare';
import { describeIssues, ensureDir, readJsonIfPresent, writeJsonDurable } from '@codistill/util';
import { z } from 'zod';
import type { Progress } from '../progress.js';
import type { ReportFiles } from '../report/index.js';
import type { RunConfig } from './config.js';
import type { RunModels } from './run-models.js';
import type { ContextsSummary } from './stages/contexts.js';
import type { DataSummary } from './stages/data.js';
import type { TrainSummary } from './stages/train.js';

/** What each stage hands on, by stage name: kept in its marker, from which a rerun takes it. */
export interface StageResults {
  data: DataSummary;
  contexts: ContextsSummary;
  train: TrainSummary;
  eval: Comparison;
  report: ReportFiles;
}

export type StageName = keyof StageResults;

/** The stages in the order `codistill run` runs them. */
export const STAGE_NAMES: readonly StageName[] = ['data', 'contexts', 'train', 'eval', 'report'];

/** What a stage gets; `Needs` names the earlier stages whose results it reads. */
export interface StageContext<Needs extends StageName = never> {
  config: RunConfig;
  signal: AbortSignal;
  /** One line per stage event, to stderr. */
  log: (line: string) => void;
  progress: (label: string, fields?: string[]) => Progress;
  before: Pick<StageResults, Needs>;
  /** The student and CodeBERT as folders, Hub ids pinned to the run's commit. */
  models: RunModels;
}

/**
 * One step of `codistill run`. `inputs` lists every setting the output depends on: a finished
 * stage is skipped while they are unchanged, and refused (never silently redone) when they changed.
 */
export interface Stage<Name extends StageName, Needs extends StageName = never> {
  name: Name;
  inputs(config: RunConfig): object;
  /** The local files the stage will read, by config field; the run checks them before its first stage. */
  files?(config: RunConfig): Array<[field: string, file: string | null | undefined]>;
  /** Checks the result a finished stage left in its marker before a rerun hands it on. */
  result: z.ZodType<StageResults[Name]>;
  /** Works in `dir`, resuming from what an interrupted earlier attempt left there. */
  run(ctx: StageContext<Needs>, dir: string): Promise<StageResults[Name]>;
}

/** A result field whose type belongs to another package and that no stage reads: checked to be an object, carried as is. */
export const carried = <T>() => z.custom<T>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), { message: 'expected an object' });

/** A number that may have been NaN or infinite when written: JSON stores those as null. */
export const jsonNumber = z
  .number()
  .nullable()
  .transform((v) => v ?? NaN);

/** <out>/<stage>/stage.json */
const markerSchema = z.object({
  stage: z.string(),
  status: z.enum(['running', 'done']),
  fingerprint: z.string(),
  inputs: z.unknown(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  summary: z.unknown().optional(),
});
type Marker = z.infer<typeof markerSchema>;

const MARKER = 'stage.json';

export function fingerprint(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

/** Paths (a.b.c) where two JSON values differ. */
export function changedPaths(before: unknown, after: unknown, at = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => changedPaths(before[k], after[k], at ? `${at}.${k}` : k));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [`${at || '(all)'}: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`];
}

/** `value` as `schema` types it; anything else is an error naming the file and each bad field. */
function checked<T>(schema: z.ZodType<T>, value: unknown, file: string, at: string[] = []): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new Error(`${file}: ${describeIssues(parsed.error.issues, at)}. The file is damaged or from another codistill version: delete ${path.dirname(file)} and the stages after it to redo them`);
}

async function readMarker(file: string): Promise<Marker | undefined> {
  const value = await readJsonIfPresent<unknown>(file);
  return value === undefined ? undefined : checked(markerSchema, value, file);
}

/**
 * Runs a stage unless its marker says it finished with the same inputs. `upstream` is the
 * fingerprint of the stage before, so a changed earlier stage also counts as a changed input.
 */
export async function runStage<Name extends StageName, Needs extends StageName>(
  stage: Stage<Name, Needs>,
  ctx: StageContext<Needs>,
  upstream: string,
): Promise<{ fingerprint: string; summary: StageResults[Name] }> {
  const dir = path.join(ctx.config.out, stage.name);
  const inputs = { upstream, ...stage.inputs(ctx.config) };
  const print = fingerprint(inputs);
  const file = path.join(dir, MARKER);
  const marker = await readMarker(file);
  if (marker && marker.fingerprint !== print) {
    const changes = changedPaths(marker.inputs, inputs).join('; ');
    throw new Error(
      `${dir} was made with other settings (${changes}). Finished work is never overwritten: use another "out", or delete ${dir} and the stages after it to redo them.`,
    );
  }
  if (marker?.status === 'done') {
    const summary = checked(stage.result, marker.summary, file, ['summary']);
    ctx.log(`${stage.name}: done earlier, skipped`);
    return { fingerprint: print, summary };
  }
  ctx.log(`${stage.name}: ${marker ? 'resuming' : 'starting'}`);
  ensureDir(dir);
  const startedAt = marker?.startedAt ?? new Date().toISOString();
  writeJsonDurable(file, { stage: stage.name, status: 'running', fingerprint: print, inputs, startedAt } satisfies Marker);
  const summary = await stage.run(ctx, dir);
  writeJsonDurable(file, { stage: stage.name, status: 'done', fingerprint: print, inputs, startedAt, finishedAt: new Date().toISOString(), summary } satisfies Marker);
  ctx.log(`${stage.name}: done`);
  return { fingerprint: print, summary };
}

/** Whether a stage finished (a rerun skips it). */
export async function stageDone(out: string, name: StageName): Promise<boolean> {
  return (await readMarker(path.join(out, name, MARKER)))?.status === 'done';
}

/**
 * What a run folder's stages have not finished, in words (`train unfinished (interrupted, or
 * running now); eval, report not started`), or undefined when every stage is done.
 */
export async function unfinishedStages(out: string): Promise<string | undefined> {
  const running: string[] = [];
  const notStarted: string[] = [];
  for (const name of STAGE_NAMES) {
    const marker = await readMarker(path.join(out, name, MARKER));
    if (!marker) notStarted.push(name);
    else if (marker.status === 'running') running.push(name);
  }
  const parts = [...(running.length ? [`${running.join(', ')} unfinished (interrupted, or running now)`] : []), ...(notStarted.length ? [`${notStarted.join(', ')} not started`] : [])];
  return parts.length ? parts.join('; ') : undefined;
}

/** When a stage first started, from its marker (the run's start time is the first stage's). */
export async function stageStartedAt(out: string, name: StageName): Promise<string | undefined> {
  return (await readMarker(path.join(out, name, MARKER)))?.startedAt;
}
