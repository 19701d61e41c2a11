import { createHash } from 'node:crypto';
import path from 'node:path';
import { ensureDir, writeJsonDurable } from '@codistill/util';
import type { Progress } from '../progress.js';
import type { RunConfig } from './config.js';
import { readJsonIfPresent } from './files.js';

export interface StageContext {
  config: RunConfig;
  signal: AbortSignal;
  /** One line per stage event, to stderr. */
  log: (line: string) => void;
  progress: (label: string, fields?: string[]) => Progress;
  /** Summaries of the stages before this one, by stage name. */
  before: Record<string, unknown>;
}

/**
 * One step of `codistill run`. `inputs` lists every setting the output depends on: a finished
 * stage is skipped while they are unchanged, and refused (never silently redone) when they changed.
 */
export interface Stage<Summary> {
  name: string;
  inputs(config: RunConfig): unknown;
  /** Works in `dir`, resuming from what an interrupted earlier attempt left there. */
  run(ctx: StageContext, dir: string): Promise<Summary>;
}

/** <out>/<stage>/stage.json */
interface Marker {
  stage: string;
  status: 'running' | 'done';
  fingerprint: string;
  inputs: unknown;
  startedAt: string;
  finishedAt?: string;
  summary?: unknown;
}

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

/**
 * Runs a stage unless its marker says it finished with the same inputs. `upstream` is the
 * fingerprint of the stage before, so a changed earlier stage also counts as a changed input.
 */
export async function runStage<S>(stage: Stage<S>, ctx: StageContext, upstream: string): Promise<{ fingerprint: string; summary: S }> {
  const dir = path.join(ctx.config.out, stage.name);
  const inputs = { upstream, ...(stage.inputs(ctx.config) as object) };
  const print = fingerprint(inputs);
  const file = path.join(dir, MARKER);
  const marker = await readJsonIfPresent<Marker>(file);
  if (marker && marker.fingerprint !== print) {
    const changes = changedPaths(marker.inputs, inputs).join('; ');
    throw new Error(
      `${dir} was made with other settings (${changes}). Finished work is never overwritten: use another "out", or delete ${dir} and the stages after it to redo them.`,
    );
  }
  if (marker?.status === 'done') {
    ctx.log(`${stage.name}: done earlier, skipped`);
    return { fingerprint: print, summary: marker.summary as S };
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

/** When a stage first started, from its marker (the run's start time is the first stage's). */
export async function stageStartedAt(out: string, name: string): Promise<string | undefined> {
  return (await readJsonIfPresent<Marker>(path.join(out, name, MARKER)))?.startedAt;
}
