import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ReportData } from './data.js';
import { renderReport } from './render.js';

export type { ReportData, RunMeta } from './data.js';
export { renderReport } from './render.js';
export { loadRunReport, RUN_FILES } from './load.js';

/** Writes report.json (for machines) and report.html (for people) into `dir`; returns their paths. */
export async function writeReport(dir: string, data: ReportData): Promise<{ json: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const json = path.join(dir, 'report.json');
  const html = path.join(dir, 'report.html');
  await writeFile(json, JSON.stringify(data, null, 2) + '\n');
  await writeFile(html, renderReport(data));
  return { json, html };
}
