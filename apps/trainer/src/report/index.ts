import path from 'node:path';
import { ensureDir, writeFileDurable } from '@codistill/util';
import type { ReportData } from './data.js';
import { renderReport } from './render.js';

export type { ReportData, RunMeta } from './data.js';
export { renderReport } from './render.js';
export { loadRunReport, RUN_FILES } from './load.js';

/** Paths of the written report. */
export interface ReportFiles {
  json: string;
  html: string;
}

/** Writes report.json (for machines) and report.html (for people) into `dir`; returns their paths. */
export async function writeReport(dir: string, data: ReportData): Promise<ReportFiles> {
  ensureDir(dir);
  const json = path.join(dir, 'report.json');
  const html = path.join(dir, 'report.html');
  writeFileDurable(json, JSON.stringify(data, null, 2) + '\n');
  writeFileDurable(html, renderReport(data));
  return { json, html };
}
