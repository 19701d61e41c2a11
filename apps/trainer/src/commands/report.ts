import path from 'node:path';
import type { Command } from 'commander';
import { loadRunReport, RUN_FILES, writeReport } from '../report/index.js';

/** `codistill report`: report.json + a self-contained report.html from a run folder's files. */
export function register(program: Command): void {
  program
    .command('report')
    .description(`build report.json and report.html from a run folder (${Object.values(RUN_FILES).join(', ')})`)
    .requiredOption('--run <dir>', 'run folder')
    .option('--out <dir>', `output folder (default: <run>/${RUN_FILES.reportDir})`)
    .action(async (o: { run: string; out?: string }) => {
      const data = await loadRunReport(o.run);
      if (data.unfinished) console.error(`codistill: warning: ${o.run} has not finished (${data.unfinished}); the report shows what it has so far`);
      const written = await writeReport(o.out ?? path.join(o.run, RUN_FILES.reportDir), data);
      console.log(JSON.stringify(written));
    });
}
